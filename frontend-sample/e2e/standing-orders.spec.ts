import { expect, test, type Page } from "@playwright/test";

import { addMoney, expectNoOverflowOnAPhone, go, newUser, screenshot } from "./support";

/** A datetime-local value `seconds` from now in the browser's time zone (normalised: no ":00" seconds). */
function localDateTime(page: Page, seconds: number): Promise<string> {
  return page.evaluate((ahead) => {
    const date = new Date(Date.now() + ahead * 1000);
    const pad = (n: number) => String(n).padStart(2, "0");
    const minutes = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
    return date.getSeconds() ? `${minutes}:${pad(date.getSeconds())}` : minutes;
  }, seconds);
}

test("a daily standing order: checked first, paid by the scheduler when due, then paused and cancelled", async ({
  browser,
}) => {
  const carol = await newUser(browser, "carol");
  const dan = await newUser(browser, "dan");
  await addMoney(carol.page, "50.00");
  const { page } = carol;

  await go(page, "Standing orders");
  await expect(page.getByRole("heading", { name: "Standing orders", level: 1 })).toBeVisible();
  await expect(page.getByText("No standing orders yet.")).toBeVisible();
  const form = page.locator("form").filter({ has: page.getByRole("heading", { name: "New standing order" }) });
  const submit = form.getByRole("button", { name: "Set up standing order" });

  // The obvious is caught before sending: an end before the first payment, fewer than one payment.
  await form.getByLabel("To").fill(dan.username);
  await form.getByLabel("Amount").fill("7.25");
  await form.getByLabel("Note").fill("Pocket money");
  await form.getByLabel("First payment").fill(await localDateTime(page, 3 * 86400));
  await form.getByLabel("Repeat").selectOption({ label: "Every day" });
  await form.getByLabel("Ends").selectOption({ label: "On a date" });
  await form.getByLabel("Last day").fill((await localDateTime(page, 86400)).slice(0, 10));
  await submit.click();
  await expect(form.getByLabel("Last day")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Last day")).toBeFocused();
  await expect(form.getByText("The end can't be before the first payment.")).toBeVisible();
  await form.getByLabel("Ends").selectOption({ label: "After a number of payments" });
  await form.getByLabel("Number of payments").fill("0");
  await submit.click();
  await expect(form.getByText("Enter a whole number of payments, 1 or more.")).toBeVisible();
  await expect(form.getByLabel("Number of payments")).toBeFocused();

  // What only the server knows comes back next to its field: no such receiver.
  await form.getByLabel("Number of payments").fill("3");
  await form.getByLabel("To").fill(`nobody${Date.now()}`);
  await submit.click();
  await expect(form.getByLabel("To")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByText("No one with that username or number uses this wallet.")).toBeVisible();
  await expect(page.getByText("No standing orders yet.")).toBeVisible();

  // Every day, three times, the first a few seconds from now.
  await form.getByLabel("To").fill(dan.username);
  await form.getByLabel("First payment").fill(await localDateTime(page, 6));
  await submit.click();
  await expect(form.getByRole("status")).toContainText(`Set up 7.25 USD to ${dan.username}, every day, first on`);
  const order = page.getByTestId("standing-order").filter({ hasText: `7.25 USD to ${dan.username}` });
  await expect(order.getByTestId("order-status")).toHaveText("Active");
  await expect(order).toContainText("After 3 payments");
  await order.getByText(/^Payments \(/).click();

  // The scheduler runs it when due; the page looks again by itself until the payment shows.
  await expect(order.getByTestId("occurrence-status")).toHaveText(["Succeeded"], { timeout: 30_000 });
  await expect(order.getByText("Payments (1)")).toBeVisible();
  await expect(order.getByRole("link", { name: "View payment 1" })).toHaveAttribute("href", /^\/transactions\//);
  // The scheduler is another process: its payment reaches the receiver's page when that page looks again.
  await expect
    .poll(
      async () => {
        await dan.page.goto("/");
        await expect(dan.page.getByTestId("balance")).toBeVisible();
        return dan.page.getByTestId("balance").textContent();
      },
      { timeout: 30_000 },
    )
    .toBe("7.25 USD");
  await expect(order.getByTestId("order-next-run")).not.toHaveText("None");
  await screenshot(page, "standing-orders");
  await expectNoOverflowOnAPhone(page, "standing-orders-phone");

  // Pause, then cancel after a confirmation.
  await order.getByRole("button", { name: /^Pause/ }).click();
  await expect(order.getByTestId("order-status")).toHaveText("Paused");
  await expect(order.getByTestId("order-next-run")).toHaveText("None while paused");
  await expect(page.getByRole("status").filter({ hasText: "Paused the standing order" })).toBeVisible();
  await order.getByRole("button", { name: /^Cancel/ }).click();
  const confirm = order.getByRole("group", { name: /^Cancel the standing order/ });
  await expect(confirm).toContainText(`Cancel the standing order of 7.25 USD to ${dan.username}?`);
  await confirm.getByRole("button", { name: "Keep it" }).click();
  await expect(order.getByRole("button", { name: /^Cancel/ })).toBeFocused();
  await order.getByRole("button", { name: /^Cancel/ }).click();
  await order.getByRole("button", { name: "Yes, cancel it" }).click();
  await expect(order.getByTestId("order-status")).toHaveText("Cancelled");
  await expect(order.getByRole("button", { name: /^(Pause|Resume|Cancel)/ })).toHaveCount(0);
  await page.goto("/standing-orders?status=ACTIVE");
  await expect(page.getByText("No standing orders match.")).toBeVisible();

  // One payment only: the sender lost exactly what the receiver got.
  await go(page, "Dashboard");
  await expect(page.getByTestId("balance")).toHaveText("42.75 USD");
  await expect(dan.page.getByTestId("balance")).toHaveText("7.25 USD");

  await carol.context.close();
  await dan.context.close();
});
