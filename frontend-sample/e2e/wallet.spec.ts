import { expect, test, type Request } from "@playwright/test";

import { ACCESS_TOKEN_SECONDS } from "../playwright.config";
import {
  addMoney,
  balance,
  confirmPayment,
  go,
  historyRows,
  newUser,
  PASSWORD,
  screenshot,
  transfer,
  uniqueMobile,
  uniqueName,
} from "./support";

const isOperation = (name: string) => (request: Request) =>
  request.url().endsWith("/graphql/") && (request.postData() ?? "").includes(`"operationName":"${name}"`);

test("two users sign up, pay each other by username and by mobile number, and see the same story", async ({
  browser,
}) => {
  const bobMobile = uniqueMobile();
  const bob = await newUser(browser, "bob", bobMobile);
  const alice = await newUser(browser, "alice");
  await screenshot(alice.page, "dashboard-new");

  await addMoney(alice.page, "100.00");
  await screenshot(alice.page, "add-money");

  // Bob watches his dashboard: the money arrives live, without a reload.
  await go(bob.page, "Dashboard");
  await expect(bob.page.getByTestId("balance")).toHaveText("0.00 USD");

  await transfer(alice.page, bob.username, "30.00");
  await expect(alice.page.getByRole("status")).toContainText(`Sent 30.00 USD to ${bob.username}.`);
  await screenshot(alice.page, "transfer");
  await expect(bob.page.getByRole("status")).toContainText("You received 30.00 USD");
  await expect(bob.page.getByTestId("balance")).toHaveText("30.00 USD");

  await go(alice.page, "Pay by mobile");
  await alice.page.getByLabel("Mobile number", { exact: true }).fill(bobMobile);
  await alice.page.getByLabel("Amount").fill("12.5");
  await alice.page.getByLabel("Note").fill("lunch");
  await confirmPayment(alice.page, "Pay");
  await expect(alice.page.getByRole("status")).toContainText(`Paid 12.50 USD to ${bobMobile}.`);
  await screenshot(alice.page, "pay-by-mobile");
  await expect(bob.page.getByTestId("balance")).toHaveText("42.50 USD");

  expect(await balance(alice.page)).toBe("57.50 USD");
  await expect(alice.page.getByTestId("transferred-today")).toHaveText(/^42\.50 USD of /);
  await screenshot(alice.page, "dashboard");
  await screenshot(bob.page, "dashboard-receiver");

  const aliceHistory = await historyRows(alice.page);
  expect(aliceHistory).toHaveLength(3);
  expect(aliceHistory[0]).toContain(`Mobile payment to ${bob.username}`);
  expect(aliceHistory[0]).toContain("−12.50 USD");
  expect(aliceHistory[1]).toContain(`Transfer to ${bob.username}`);
  expect(aliceHistory[1]).toContain("−30.00 USD");
  expect(aliceHistory[2]).toContain("Added money");
  expect(aliceHistory[2]).toContain("+100.00 USD");
  await screenshot(alice.page, "history");

  const bobHistory = await historyRows(bob.page);
  expect(bobHistory).toHaveLength(2);
  expect(bobHistory[0]).toContain(`Mobile payment from ${alice.username}`);
  expect(bobHistory[0]).toContain("+12.50 USD");
  expect(bobHistory[1]).toContain(`Transfer from ${alice.username}`);
  expect(bobHistory[1]).toContain("+30.00 USD");

  // The transfer's detail: Alice's ledger entry and a receipt she can download.
  await alice.page.getByRole("link", { name: new RegExp(`Transfer to ${bob.username}`) }).click();
  await expect(alice.page.getByRole("heading", { name: `Transfer to ${bob.username}` })).toBeVisible();
  const entries = alice.page.getByRole("table").getByRole("row");
  await expect(entries).toHaveCount(2);
  await expect(entries.nth(1)).toHaveText(/Debit\s*30\.00\s*70\.00/);
  const receipt = alice.page.getByRole("link", { name: "Download the PDF receipt" });
  await expect(receipt).toBeVisible();
  await screenshot(alice.page, "transaction");
  const pdf = await alice.page.request.get((await receipt.getAttribute("href"))!);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()["content-type"]).toContain("application/pdf");
  expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");

  await alice.context.close();
  await bob.context.close();
});

test("insufficient funds is explained next to the amount and recorded in history as failed", async ({ browser }) => {
  const payee = await newUser(browser, "payee");
  const carol = await newUser(browser, "carol");
  await addMoney(carol.page, "5.00");

  await transfer(carol.page, payee.username, "20.00");
  const amountError = carol.page.locator(".field-error");
  await expect(amountError).toHaveText("Not enough money in your wallet for this.");
  await expect(carol.page.getByLabel("Amount")).toHaveAttribute("aria-invalid", "true");
  await expect(carol.page.getByLabel("Amount")).toBeFocused();
  await expect(carol.page.getByText("This attempt is recorded in your history as failed.")).toBeVisible();
  await screenshot(carol.page, "insufficient-funds");

  const failed = await historyRows(carol.page, "?status=FAILED");
  expect(failed).toHaveLength(1);
  expect(failed[0]).toContain(`Transfer to ${payee.username}`);
  expect(failed[0]).toContain("Failed");
  expect(failed[0]).toContain("Not enough money in your wallet for this.");
  await expect(carol.page.getByLabel("Status")).toHaveValue("FAILED");
  await screenshot(carol.page, "history-failed");
  expect(await balance(carol.page)).toBe("5.00 USD");

  // A typo never reaches the server: the form says what is wrong with it.
  await go(carol.page, "Send");
  await carol.page.getByLabel("Username").fill(payee.username);
  await carol.page.getByLabel("Amount").fill("1.234");
  await carol.page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(carol.page.locator(".field-error")).toHaveText("Use at most 2 digits after the decimal point.");

  await carol.context.close();
  await payee.context.close();
});

test("a double-clicked transfer moves the money once", async ({ browser }) => {
  const payee = await newUser(browser, "payee");
  const dave = await newUser(browser, "dave");
  await addMoney(dave.page, "50.00");

  const sent: Request[] = [];
  dave.page.on("request", (request) => {
    if (isOperation("Transfer")(request)) sent.push(request);
  });
  await go(dave.page, "Send");
  await dave.page.getByLabel("Username").fill(payee.username);
  await dave.page.getByLabel("Amount").fill("10.00");
  await confirmPayment(dave.page, "Send", "dblclick");
  await expect(dave.page.getByRole("status")).toContainText(`Sent 10.00 USD to ${payee.username}.`);

  // Every request this form sent for the payment carried the same idempotency key.
  const keys = new Set(sent.map((request) => JSON.parse(request.postData()!).variables.input.idempotencyKey));
  expect(sent.length).toBeGreaterThanOrEqual(1);
  expect(keys.size).toBe(1);
  const rows = await historyRows(dave.page, "?kind=TRANSFER");
  expect(rows).toHaveLength(1);
  expect(await balance(dave.page)).toBe("40.00 USD");

  await dave.context.close();
  await payee.context.close();
});

test("a retry after a lost response replays the payment instead of repeating it", async ({ browser }) => {
  const payee = await newUser(browser, "payee");
  const erin = await newUser(browser, "erin");
  await addMoney(erin.page, "50.00");

  // The first transfer reaches the server and commits, but its response never reaches the browser.
  let dropped = 0;
  await erin.page.route("**/graphql/", async (route) => {
    if (dropped === 0 && isOperation("Transfer")(route.request())) {
      dropped += 1;
      await route.fetch();
      await route.abort("connectionreset");
      return;
    }
    await route.continue();
  });
  await transfer(erin.page, payee.username, "15.00");
  await expect(erin.page.getByRole("alert").first()).toContainText("we don't know whether this went through");
  await screenshot(erin.page, "unknown-outcome");

  await erin.page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(erin.page.getByRole("status")).toContainText(
    `Sent 15.00 USD to ${payee.username}. (already done earlier)`,
  );
  expect(dropped).toBe(1);
  expect(await historyRows(erin.page, "?kind=TRANSFER")).toHaveLength(1);
  expect(await balance(erin.page)).toBe("35.00 USD");

  await erin.context.close();
  await payee.context.close();
});

test("an expired access token is renewed silently, and a failed renewal asks to log in", async ({ browser }) => {
  const frank = await newUser(browser, "frank");
  const renewals: Request[] = [];
  frank.page.on("request", (request) => {
    if (isOperation("RefreshSession")(request)) renewals.push(request);
  });
  // The access token is only in memory: nothing stored holds it, and no URL carries it.
  const stored = await frank.page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
  expect(stored).not.toMatch(/eyJ[\w-]+\.eyJ/);
  expect(frank.page.url()).not.toContain("token");

  await frank.page.waitForTimeout((ACCESS_TOKEN_SECONDS + 1) * 1000);
  await addMoney(frank.page, "7.00");
  expect(renewals.length).toBeGreaterThanOrEqual(1);
  expect(await balance(frank.page)).toBe("7.00 USD");
  await expect(frank.page.getByRole("heading", { name: `Hello, ${frank.username}` })).toBeVisible();

  // A refresh token that no longer works (revoked, rotated away) ends the session at the next renewal.
  await frank.page.evaluate(() => sessionStorage.setItem("wallet.refreshToken", "revoked-or-rotated"));
  await frank.page.waitForTimeout((ACCESS_TOKEN_SECONDS + 1) * 1000);
  await go(frank.page, "History");
  await expect(frank.page.getByRole("heading", { name: "Log in to your wallet" })).toBeVisible();

  await frank.context.close();
});

test("log out revokes the session, and going back shows the login screen", async ({ browser }) => {
  const grace = await newUser(browser, "grace");
  await go(grace.page, "History");
  await grace.page.getByRole("button", { name: "Log out" }).click();
  await expect(grace.page.getByRole("heading", { name: "Log in to your wallet" })).toBeVisible();
  expect(await grace.page.evaluate(() => sessionStorage.getItem("wallet.refreshToken"))).toBeNull();
  await screenshot(grace.page, "login");

  await grace.page.goBack();
  await expect(grace.page.getByRole("heading", { name: "Log in to your wallet" })).toBeVisible();
  await grace.page.reload();
  await expect(grace.page.getByRole("heading", { name: "Log in to your wallet" })).toBeVisible();

  // Logging back in, with the keyboard only.
  await grace.page.getByLabel("Username").focus();
  await grace.page.keyboard.type(grace.username);
  await grace.page.keyboard.press("Tab");
  await grace.page.keyboard.type(PASSWORD);
  await grace.page.keyboard.press("Enter");
  await expect(grace.page.getByRole("heading", { name: `Hello, ${grace.username}` })).toBeVisible();
  await grace.context.close();
});

test("holds: reserve, capture part, void another", async ({ browser }) => {
  const shop = await newUser(browser, "shop");
  const heidi = await newUser(browser, "heidi");
  await addMoney(heidi.page, "40.00");

  await go(heidi.page, "Holds");
  const holdForm = heidi.page.locator("form").first();
  await holdForm.getByLabel("Username").fill(shop.username);
  await holdForm.getByLabel("Amount").fill("25.00");
  await holdForm.getByRole("button", { name: "Hold money" }).click();
  await expect(heidi.page.getByRole("status").first()).toContainText(`Holding 25.00 USD for ${shop.username}.`);
  const hold = heidi.page.locator(".holds > li");
  await expect(hold).toHaveCount(1);
  await screenshot(heidi.page, "holds");

  await hold.getByLabel("Amount to capture").fill("10.00");
  await hold.getByRole("button", { name: "Capture" }).click();
  await expect(heidi.page.getByText("No active holds.")).toBeVisible();
  expect(await balance(heidi.page)).toBe("30.00 USD");

  await go(heidi.page, "Holds");
  await holdForm.getByLabel("Username").fill(shop.username);
  await holdForm.getByLabel("Amount").fill("5.00");
  await holdForm.getByRole("button", { name: "Hold money" }).click();
  await expect(hold).toHaveCount(1);
  await go(heidi.page, "Dashboard");
  await expect(heidi.page.getByTestId("available")).toContainText("Available: 25.00 USD");
  await go(heidi.page, "Holds");
  await hold.getByRole("button", { name: "Void" }).click();
  await expect(heidi.page.getByText("No active holds.")).toBeVisible();
  expect(await balance(heidi.page)).toBe("30.00 USD");
  expect(await balance(shop.page)).toBe("10.00 USD");

  await heidi.context.close();
  await shop.context.close();
});

test("readable on a phone-sized screen, with a visible keyboard focus", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await context.newPage();
  await page.goto("/signup");
  await screenshot(page, "signup-phone");
  const username = uniqueName("ivan");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: `Hello, ${username}` })).toBeVisible();
  // Nothing is wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.keyboard.press("Tab");
  const skipLink = page.getByRole("link", { name: "Skip to content" });
  await expect(skipLink).toBeFocused();
  const outline = await skipLink.evaluate((element) => getComputedStyle(element).outlineStyle);
  expect(outline).toBe("solid");
  await screenshot(page, "dashboard-phone");
  await context.close();
});
