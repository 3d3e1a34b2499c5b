import { expect, test, type Page } from "@playwright/test";

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
} from "./support";

// Issue 16 in the SPA: a frozen wallet's state and reason, the limits with what remains, the fee before sending.

const FROZEN_MESSAGE =
  "A frozen wallet can't send or receive this payment, so no money moved. If yours is frozen, your dashboard says why.";

/** "1,234.50 USD" -> 123450n: money compared exactly, in cents. */
function cents(text: string | null): bigint {
  const match = /^(-?)([\d,]+)\.(\d{2}) [A-Z]{3}$/.exec((text ?? "").trim());
  if (!match) throw new Error(`not an amount: ${text}`);
  const value = BigInt(match[2].replaceAll(",", "") + match[3]);
  return match[1] ? -value : value;
}

function money(value: bigint): string {
  const text = value.toString().padStart(3, "0");
  const whole = text.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${whole}.${text.slice(-2)} USD`;
}

async function dailyFigures(page: Page) {
  await go(page, "Dashboard");
  const limits = page.getByRole("region", { name: /^Limits/ });
  await expect(limits).toBeVisible();
  return {
    used: cents(await limits.getByTestId("limit-daily-used").textContent()),
    remaining: cents(await limits.getByTestId("limit-daily-remaining").textContent()),
  };
}

test("a user freezes their own wallet: the dashboard says why, a transfer is refused, and after unfreezing it goes through", async ({
  browser,
}) => {
  const payee = await newUser(browser, "pam");
  const { page, context } = await newUser(browser, "fred");
  await addMoney(page, "50.00");
  await go(page, "Dashboard");
  await expect(page.getByTestId("frozen-banner")).toHaveCount(0);

  // The panic switch, on the Security page: a choice of what to stop, a note, and a confirmation.
  await go(page, "Security");
  await expect(page.getByText("Your wallet is not frozen.")).toBeVisible();
  await page.getByText("Sending", { exact: true }).click();
  await page.getByLabel("Note").fill("lost my phone on the bus");
  await page.getByRole("button", { name: "Freeze my wallet" }).click();
  await expect(page.getByRole("group", { name: /^Freeze your wallet for sending\?/ })).toBeVisible();
  await page.getByRole("button", { name: "Yes, freeze it" }).click();
  await expect(page.getByRole("status")).toHaveText("Your wallet is frozen for sending.");

  // The dashboard's banner: what is frozen, why, and who set it.
  await go(page, "Dashboard");
  const banner = page.getByTestId("frozen-banner");
  await expect(banner.getByRole("heading")).toHaveText("Your wallet is frozen for sending: no money can leave it.");
  await expect(banner.getByTestId("freeze")).toHaveCount(1);
  await expect(banner.getByTestId("freeze-scope")).toHaveText("Sending");
  await expect(banner.getByTestId("freeze-reason")).toHaveText("You asked for it: “lost my phone on the bus”");
  await expect(banner.getByTestId("freeze-by")).toContainText("Set by you");
  await expect(banner.getByRole("button", { name: "Unfreeze sending" })).toBeVisible();
  await screenshot(page, "frozen");
  await expectNoOverflowOnAPhone(page, "frozen-phone");

  // A transfer is refused, in words, and nothing moves.
  await transfer(page, payee.username, "10.00");
  await expect(page.getByRole("alert").filter({ hasText: FROZEN_MESSAGE })).toBeVisible();
  await expect(page.getByText("This attempt is recorded in your history as failed.")).toBeVisible();
  const failed = await historyRows(page, "?status=FAILED");
  expect(failed).toHaveLength(1);
  expect(failed[0]).toContain(FROZEN_MESSAGE);
  expect(await balance(page)).toBe("50.00 USD");

  // Unfrozen from the banner: the banner goes, and the same transfer goes through.
  await page.getByRole("button", { name: "Unfreeze sending" }).click();
  await expect(page.getByTestId("frozen-banner")).toHaveCount(0);
  await go(page, "Security");
  await expect(page.getByText("Your wallet is not frozen.")).toBeVisible();
  await transfer(page, payee.username, "10.00");
  await expect(page.getByRole("status")).toContainText(`Sent 10.00 USD to ${payee.username}.`);
  expect(await balance(page)).toBe("40.00 USD");
  expect(await balance(payee.page)).toBe("10.00 USD");

  await context.close();
  await payee.context.close();
});

test("the limits card shows the tier, what is used and what remains; a transfer moves both by exactly its amount", async ({
  browser,
}) => {
  const payee = await newUser(browser, "lou");
  const { page, context } = await newUser(browser, "lina");
  await addMoney(page, "100.00");

  const before = await dailyFigures(page);
  const limits = page.getByRole("region", { name: /^Limits/ });
  await expect(limits.getByTestId("tier")).toHaveText("BASIC");
  await expect(limits.getByRole("progressbar", { name: "Today" })).toBeVisible();
  await expect(limits.getByTestId("limit-daily")).toContainText("resets");
  expect(before.used).toBe(0n);

  await transfer(page, payee.username, "30.25");
  await expect(page.getByRole("status")).toContainText(`Sent 30.25 USD to ${payee.username}.`);
  const after = await dailyFigures(page);
  expect(after.used - before.used).toBe(3025n);
  expect(before.remaining - after.remaining).toBe(3025n);
  await expect(limits.getByTestId("transferred-today")).toHaveText(/^30\.25 USD of /);
  await screenshot(page, "limits");
  await expectNoOverflowOnAPhone(page, "limits-phone");

  // The send form warns before sending more than what remains today (and a cent less does not warn).
  await go(page, "Send");
  await page.getByLabel("Username").fill(payee.username);
  await page.getByLabel("Amount").fill(money(after.remaining + 1n).replace(/,| USD/g, ""));
  await expect(page.getByTestId("limit-warning")).toContainText(
    `This is more than the ${money(after.remaining)} left of your daily limit today.`,
  );
  await page.getByLabel("Amount").fill(money(after.remaining).replace(/,| USD/g, ""));
  await expect(page.getByTestId("limit-warning")).toHaveCount(0);

  await context.close();
  await payee.context.close();
});

test("the confirm step shows the amount, the fee (none by default) and the total before any money moves", async ({
  browser,
}) => {
  const payee = await newUser(browser, "cora");
  const { page, context } = await newUser(browser, "finn");
  await addMoney(page, "80.00");

  await go(page, "Send");
  await page.getByLabel("Username").fill(payee.username);
  await page.getByLabel("Amount").fill("12.34");
  await page.getByLabel("Note", { exact: true }).fill("tickets");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  const quote = page.getByTestId("quote");
  await expect(page.getByRole("heading", { name: "Check and confirm" })).toBeFocused();
  await expect(quote.getByTestId("quote-amount")).toHaveText("12.34 USD");
  await expect(quote.getByTestId("quote-fee")).toHaveText("0.00 USD");
  await expect(quote.getByTestId("quote-total")).toHaveText("12.34 USD");
  await expect(quote).toContainText(payee.username);
  await expect(quote).toContainText("tickets");
  await screenshot(page, "transfer-confirm");
  await expectNoOverflowOnAPhone(page, "transfer-confirm-phone");
  // Nothing moved yet; "Change" goes back to the form with what was typed.
  expect(await balance(payee.page)).toBe("0.00 USD");
  await page.getByRole("button", { name: "Change" }).click();
  await expect(page.getByLabel("Amount")).toHaveValue("12.34");
  await confirmPayment(page, "Send");
  await expect(page.getByRole("status")).toContainText(`Sent 12.34 USD to ${payee.username}.`);
  expect(await balance(page)).toBe("67.66 USD");

  // No fee was charged, so the transaction's page shows none.
  const rows = await historyRows(page, "?kind=TRANSFER");
  expect(rows[0]).not.toContain("Fee");
  await page.locator(".transactions > li a").first().click();
  await expect(page.getByTestId("amount")).toHaveText("−12.34 USD");
  await expect(page.getByTestId("fee")).toHaveCount(0);

  // A withdrawal confirms the same way.
  await go(page, "Withdraw");
  await page.getByLabel("Amount").fill("7.66");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(page.getByTestId("quote-fee")).toHaveText("0.00 USD");
  await expect(page.getByTestId("quote-total")).toHaveText("7.66 USD");
  await page.getByRole("button", { name: "Withdraw", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Withdrew 7.66 USD.");
  expect(await balance(page)).toBe("60.00 USD");

  await context.close();
  await payee.context.close();
});
