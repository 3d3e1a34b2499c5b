import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { readFile } from "node:fs/promises";

import { addMoney, confirmPayment, expectNoOverflowOnAPhone, go, newUser, PASSWORD, screenshot } from "./support";

// Issue 15 in the SPA: the dashboard's balance over time, history's search and the statement download.

async function send(page: Page, to: string, amount: string, note: string): Promise<void> {
  await go(page, "Send");
  await page.getByLabel("Username").fill(to);
  await page.getByLabel("Amount").fill(amount);
  await page.getByLabel("Note", { exact: true }).fill(note);
  await confirmPayment(page, "Send");
  await expect(page.getByRole("status")).toContainText(`Sent ${amount} USD to ${to}.`);
}

/** The browser's own calendar day, "YYYY-MM-DD", `offset` days from today. */
function localDay(page: Page, offset = 0): Promise<string> {
  return page.evaluate((days) => {
    const day = new Date();
    day.setDate(day.getDate() + days);
    const pad = (value: number) => String(value).padStart(2, "0");
    return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
  }, offset);
}

/** What the test sets up without clicking: a plain GraphQL call as the user (for many movements at once). */
async function asUser(request: APIRequestContext, username: string) {
  const call = async (query: string, variables: object, token?: string) => {
    const response = await request.post("/graphql/", {
      data: { query, variables },
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    const body = await response.json();
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  const login = await call(
    "mutation ($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token errors { code } } }",
    { u: username, p: PASSWORD },
  );
  expect(login.tokenAuth.errors).toEqual([]);
  return {
    addMoney: async (amount: string) => {
      const data = await call(
        "mutation ($input: AddMoneyInput!) { addMoney(input: $input) { errors { code } } }",
        { input: { amount, idempotencyKey: crypto.randomUUID() } },
        login.tokenAuth.token,
      );
      expect(data.addMoney.errors).toEqual([]);
    },
  };
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = "";
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted && char === '"' && text[index + 1] === '"') {
      field += '"';
      index += 1;
    } else if (char === '"') quoted = !quoted;
    else if (quoted) field += char;
    else if (char === ",") endField();
    else if (char === "\r" && text[index + 1] === "\n") continue;
    else if (char === "\n" || char === "\r") endRow();
    else field += char;
  }
  if (field || row.length) endRow();
  return rows;
}

const rows = (page: Page) => page.locator(".transactions > li");

/** The history shows exactly `count` rows (and says so), each containing the given texts in order. */
async function expectRows(page: Page, expected: string[]): Promise<void> {
  const count = expected.length;
  await expect(page.getByText(count === 1 ? "1 transaction" : `${count} transactions`, { exact: true })).toBeVisible();
  await expect(rows(page)).toHaveCount(count);
  for (const [index, text] of expected.entries()) await expect(rows(page).nth(index)).toContainText(text);
}

async function search(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole("button", { name: "Search", exact: true }).click();
}

test("the dashboard charts the balance from the ledger, and its last point is the balance shown", async ({
  browser,
}) => {
  const payee = await newUser(browser, "pablo");
  const { page, context, username } = await newUser(browser, "vera");
  await addMoney(page, "100.00");
  await addMoney(page, "50.00");
  await send(page, payee.username, "30.00", "books");

  await go(page, "Dashboard");
  await expect(page.getByTestId("balance")).toHaveText("120.00 USD");
  const chart = page.locator("figure.balance-chart");
  await expect(page.getByRole("figure", { name: "Balance over the last 30 days" })).toBeVisible();
  await expect(chart.getByRole("radio", { name: "30 days" })).toBeChecked();
  await expect(chart.getByTestId("balance-now")).toHaveText("120.00 USD");
  // A new wallet: every day before today ended at zero, and today is the balance now (the 150.00 it held for a
  // moment is no day's closing figure).
  await expect(chart.getByTestId("balance-start")).toHaveText("0.00 USD");
  await expect(chart.getByTestId("balance-lowest")).toHaveText("0.00 USD");
  await expect(chart.getByTestId("balance-highest")).toHaveText("120.00 USD");
  // The picture's accessible name says the same as its figures.
  await expect(chart.getByRole("img")).toHaveAccessibleName(/^Balance over the last 30 days: .*120\.00 USD now\./);
  await expect(chart.locator(".recharts-surface")).toBeVisible();
  await screenshot(page, "dashboard-chart");
  await expectNoOverflowOnAPhone(page, "dashboard-chart-phone");

  // Each period is asked of the server again.
  for (const days of [90, 365]) {
    const asked = page.waitForRequest((request) => {
      const body = request.postDataJSON?.();
      return body?.query?.includes("balanceHistory") && body.variables?.days === days;
    });
    await chart.getByText(`${days} days`, { exact: true }).click();
    await asked;
    await expect(page.getByRole("figure", { name: `Balance over the last ${days} days` })).toBeVisible();
    await expect(chart.getByRole("radio", { name: `${days} days` })).toBeChecked();
    await expect(chart.getByTestId("balance-now")).toHaveText("120.00 USD");
  }

  // Money arriving live moves the dashboard and the chart's last point together.
  await addMoney(payee.page, "5.00");
  await send(payee.page, username, "1.00", "back");
  await expect(page.getByTestId("balance")).toHaveText("121.00 USD");
  await expect(chart.getByTestId("balance-now")).toHaveText("121.00 USD");

  await context.close();
  await payee.context.close();
});

test("history search: each filter narrows to exactly its rows, they combine, and they live in the URL", async ({
  browser,
}) => {
  const bob = await newUser(browser, "bea");
  const cat = await newUser(browser, "cat");
  const { page, context, username } = await newUser(browser, "sam");
  await addMoney(page, "100.00");
  await send(page, bob.username, "30.00", "Rent November");
  await send(page, cat.username, "5.00", "coffee");
  await addMoney(bob.page, "50.00");
  await send(bob.page, username, "12.50", "rent share");

  const all = [
    `Transfer from ${bob.username}`,
    `Transfer to ${cat.username}`,
    `Transfer to ${bob.username}`,
    "Added money",
  ];
  await go(page, "History");
  await expectRows(page, all);

  // One filter at a time.
  await search(page, { Counterparty: bob.username });
  await expect(page).toHaveURL(new RegExp(`[?&]counterparty=${bob.username}`));
  await expectRows(page, [`Transfer from ${bob.username}`, `Transfer to ${bob.username}`]);
  await page.getByRole("button", { name: "Clear search" }).click();
  await expectRows(page, all);

  await page.getByLabel("Direction").selectOption({ label: "Money in" });
  await expectRows(page, [`Transfer from ${bob.username}`, "Added money"]);
  await page.getByLabel("Direction").selectOption({ label: "Money out" });
  await expectRows(page, [`Transfer to ${cat.username}`, `Transfer to ${bob.username}`]);
  await page.getByLabel("Direction").selectOption({ label: "In and out" });

  await search(page, { "Lowest amount": "10", "Highest amount": "50" });
  await expectRows(page, [`+12.50 USD`, `−30.00 USD`]);
  await search(page, { "Lowest amount": "100", "Highest amount": "" });
  await expectRows(page, ["+100.00 USD"]);
  await search(page, { "Lowest amount": "" });

  await search(page, { "Note contains": "RENT" });
  await expectRows(page, [`Transfer from ${bob.username}`, `Transfer to ${bob.username}`]);

  // Combined, with each other and with direction and kind; kept in the URL across a reload.
  await page.getByLabel("Direction").selectOption({ label: "Money out" });
  await expectRows(page, [`Transfer to ${bob.username}`]);
  expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ note: "RENT", direction: "OUT" });
  await page.reload();
  await expectRows(page, [`Transfer to ${bob.username}`]);
  await expect(page.getByLabel("Note contains")).toHaveValue("RENT");
  await expect(page.getByLabel("Direction")).toHaveValue("OUT");
  await page.goto(`/history?kind=TRANSFER&counterparty=${cat.username}&max=5`);
  await expectRows(page, [`Transfer to ${cat.username}`]);
  await page.goto(`/history?kind=ADD_MONEY&counterparty=${cat.username}`);
  await expectRows(page, []);

  // Dates: today holds everything; a range that ended yesterday holds nothing.
  const [today, yesterday] = [await localDay(page), await localDay(page, -1)];
  await page.goto("/history");
  await search(page, { From: today, To: today });
  await expectRows(page, all);
  await search(page, { From: yesterday, To: yesterday });
  await expectRows(page, []);
  await search(page, { From: yesterday, To: today, Counterparty: cat.username });
  await expectRows(page, [`Transfer to ${cat.username}`]);
  await screenshot(page, "history-search");
  await expectNoOverflowOnAPhone(page, "history-search-phone");

  // An inverted range is said next to its end before anything is sent.
  const before = page.url();
  await search(page, { From: today, To: yesterday });
  const to = page.getByLabel("To", { exact: true });
  await expect(to).toHaveAttribute("aria-invalid", "true");
  await expect(to).toBeFocused();
  await expect(to).toHaveAccessibleDescription("The end date is before the start date.");
  await search(page, { "Lowest amount": "50", "Highest amount": "9.99" });
  await expect(page.getByLabel("Highest amount")).toHaveAccessibleDescription(
    "The highest amount is below the lowest.",
  );
  expect(page.url()).toBe(before);
  await expectRows(page, [`Transfer to ${cat.username}`]);

  // What the form cannot see (a hand-edited URL), the server refuses, in its own words.
  await page.goto("/history?min=50&max=10");
  await expect(page.getByRole("alert").filter({ hasText: "The search was refused:" })).toContainText("minAmount");
  await expect(rows(page)).toHaveCount(0);

  await context.close();
  await bob.context.close();
  await cat.context.close();
});

test("history search pages through a filter's matches", async ({ browser, request }) => {
  const { page, context, username } = await newUser(browser, "pia");
  const api = await asUser(request, username);
  // 21 movements match (more than a page of 20); 2 do not.
  await api.addMoney("3.00");
  for (let index = 0; index < 21; index += 1) await api.addMoney("2.00");
  await api.addMoney("1.00");

  await page.goto("/history?direction=IN");
  await search(page, { "Lowest amount": "2", "Highest amount": "2.00" });
  await expect(page.getByText("21 transactions", { exact: true })).toBeVisible();
  await expect(rows(page)).toHaveCount(20);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows(page)).toHaveCount(21);
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
  for (const text of await rows(page).allInnerTexts()) expect(text).toContain("+2.00 USD");
  expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ direction: "IN", min: "2", max: "2.00" });

  await context.close();
});

test("a statement: the period's figures from the ledger, and its CSV and PDF download", async ({ browser }) => {
  const payee = await newUser(browser, "otto");
  const { page, context } = await newUser(browser, "stella");
  await addMoney(page, "100.00");
  await addMoney(page, "50.00");
  await send(page, payee.username, "30.00", "books");

  await go(page, "Statements");
  await expect(page.getByRole("heading", { name: "Statements", level: 1 })).toBeVisible();
  await page.reload(); // the page has an address of its own, apart from the server's download links
  await expect(page.getByRole("heading", { name: "Statements", level: 1 })).toBeVisible();
  await expect(page.getByRole("radio", { name: "This month" })).toBeChecked();
  const figures = {
    opening: "0.00 USD",
    in: "150.00 USD",
    out: "30.00 USD",
    closing: "120.00 USD",
    count: "3",
  };
  for (const [name, value] of Object.entries(figures))
    await expect(page.getByTestId(`statement-${name}`)).toHaveText(value);
  await screenshot(page, "statement");
  await expectNoOverflowOnAPhone(page, "statement-phone");

  // The CSV: asked for afresh on the click, downloaded, and its rows are the three movements.
  const asked = page.waitForRequest((request) => request.postDataJSON?.()?.query?.includes("csvUrl"));
  const [csv] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  await asked;
  const [header, ...entries] = parseCsv(await readFile((await csv.path())!, "utf8"));
  const column = (name: string) => {
    expect(header).toContain(name);
    return entries.map((row) => row[header.indexOf(name)]);
  };
  // One row per entry, oldest first, the running balance ending at the closing balance.
  expect(entries).toHaveLength(3);
  expect(column("in")).toEqual(["100.00", "50.00", ""]);
  expect(column("out")).toEqual(["", "", "30.00"]);
  expect(column("balance_after")).toEqual(["100.00", "150.00", "120.00"]);
  expect(column("counterparty")[2]).toBe(payee.username);
  expect(column("note")[2]).toBe("books");

  // The PDF is a PDF.
  const [pdf] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download PDF" }).click(),
  ]);
  expect((await readFile((await pdf.path())!)).subarray(0, 4).toString()).toBe("%PDF");

  // Last month, before the account existed: nothing moved.
  await page.getByText("Last month", { exact: true }).click();
  await expect(page.getByTestId("statement-count")).toHaveText("0");
  await expect(page.getByTestId("statement-closing")).toHaveText("0.00 USD");

  // Custom days: an inverted range is said next to the last day; today alone gives this month's figures.
  const [today, yesterday] = [await localDay(page), await localDay(page, -1)];
  await page.getByText("Custom", { exact: true }).click();
  await page.getByLabel("First day").fill(today);
  await page.getByLabel("Last day").fill(yesterday);
  await page.getByRole("button", { name: "Show statement" }).click();
  await expect(page.getByLabel("Last day")).toHaveAccessibleDescription("The last day is before the first day.");
  await expect(page.getByLabel("Last day")).toBeFocused();
  await page.getByLabel("Last day").fill(today);
  await page.getByRole("button", { name: "Show statement" }).click();
  for (const [name, value] of Object.entries(figures))
    await expect(page.getByTestId(`statement-${name}`)).toHaveText(value);

  await context.close();
  await payee.context.close();
});
