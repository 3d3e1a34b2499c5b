import { expect, test, type Request } from "@playwright/test";

import {
  addMoney,
  balance,
  confirmPayment,
  expectNoOverflowOnAPhone,
  go,
  historyRows,
  newUser,
  screenshot,
  transfer,
  uniqueName,
} from "./support";

const isTransfer = (request: Request) =>
  request.url().endsWith("/graphql/") && (request.postData() ?? "").includes(`"operationName":"Transfer"`);

test("a payment's reference and metadata: sent, shown on it, found in history by reference, and used once", async ({
  browser,
}) => {
  const shop = await newUser(browser, "shop");
  const kim = await newUser(browser, "kim");
  const { page } = kim;
  await addMoney(page, "50.00");
  const reference = uniqueName("ORDER-");

  const sent: Request[] = [];
  page.on("request", (request) => {
    if (isTransfer(request)) sent.push(request);
  });

  await go(page, "Send");
  await page.getByLabel("Username").fill(shop.username);
  await page.getByLabel("Amount").fill("20.00");
  await page.getByLabel("Note").fill("two mugs");
  await page.getByLabel("Reference").fill(reference);
  // Metadata rows, from the keyboard: "Add a field" moves focus to the new row's key.
  await page.getByRole("button", { name: "Add a field" }).click();
  await expect(page.getByLabel("Key 1")).toBeFocused();
  await page.keyboard.type("order_id");
  await page.keyboard.press("Tab");
  await page.keyboard.type("4711");
  await page.getByRole("button", { name: "Add a field" }).click();
  await expect(page.getByLabel("Key 2")).toBeFocused();
  await page.keyboard.type("channel");
  await page.keyboard.press("Tab");
  await page.keyboard.type("web shop");
  await expectNoOverflowOnAPhone(page, "metadata-phone");
  await confirmPayment(page, "Send");
  await expect(page.getByRole("status")).toContainText(`Sent 20.00 USD to ${shop.username}.`);
  expect(sent).toHaveLength(1);
  expect(JSON.parse(sent[0].postData()!).variables.input).toMatchObject({
    reference,
    metadata: { order_id: "4711", channel: "web shop" },
  });
  await expect(page.getByLabel("Reference")).toHaveValue("");
  await expect(page.getByLabel("Key 1")).toHaveCount(0);

  // The transaction shows them.
  await page.getByRole("link", { name: "View transaction" }).click();
  await expect(page.getByRole("heading", { name: `Transfer to ${shop.username}` })).toBeVisible();
  await expect(page.getByTestId("reference")).toHaveText(reference);
  const metadata = page.getByTestId("metadata");
  await expect(metadata.locator("dt")).toHaveText(["channel", "order_id"]);
  await expect(metadata.locator("dd")).toHaveText(["web shop", "4711"]);
  await expect(page.getByRole("link", { name: "Download the PDF receipt" })).toBeVisible();
  await screenshot(page, "transaction-reference");
  await expectNoOverflowOnAPhone(page, "transaction-reference-phone");

  // History, filtered by the reference (kept in the URL like the other filters).
  await transfer(page, shop.username, "1.00");
  await expect(page.getByRole("status")).toContainText(`Sent 1.00 USD to ${shop.username}.`);
  expect(await historyRows(page)).toHaveLength(3);
  await page.getByLabel("Reference").fill(reference);
  await page.getByLabel("Reference").press("Enter");
  await expect(page).toHaveURL(new RegExp(`[?&]reference=${reference}`));
  await expect(page.getByText("1 transaction", { exact: true })).toBeVisible();
  const rows = page.locator(".transactions > li");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`Transfer to ${shop.username}`);
  await expect(rows.first()).toContainText(`Ref. ${reference}`);
  await page.reload();
  await expect(page.getByLabel("Reference")).toHaveValue(reference);
  await expect(rows).toHaveCount(1);
  await page.getByRole("button", { name: "Clear the reference filter" }).click();
  await expect(page.getByText("3 transactions", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Reference")).toHaveValue("");
  await expect(page.getByLabel("Reference")).toBeFocused();
  expect(new URL(page.url()).searchParams.has("reference")).toBe(false);
  const filtered = await historyRows(page, `?reference=${encodeURIComponent(reference)}&kind=TRANSFER`);
  expect(filtered).toHaveLength(1);

  // The same reference again: refused, and said next to the reference field.
  await go(page, "Send");
  await page.getByLabel("Username").fill(shop.username);
  await page.getByLabel("Amount").fill("5.00");
  await page.getByLabel("Reference").fill(reference);
  await confirmPayment(page, "Send");
  const referenceInput = page.getByLabel("Reference");
  await expect(referenceInput).toHaveAttribute("aria-invalid", "true");
  await expect(referenceInput).toBeFocused();
  const error = page.locator(".field-error");
  await expect(error).toHaveText("You already made a payment with this reference.");
  const errorId = await error.getAttribute("id");
  await expect(referenceInput).toHaveAttribute("aria-describedby", new RegExp(`\\b${errorId}\\b`));
  await screenshot(page, "reference-already-used");
  expect(await balance(page)).toBe("29.00 USD");

  await kim.context.close();
  await shop.context.close();
});
