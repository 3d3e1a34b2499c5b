import { expect, test, type Page } from "@playwright/test";

import { addMoney, expectNoOverflowOnAPhone, go, newUser, screenshot, uniqueMobile } from "./support";

async function askFor(page: Page, from: string, amount: string, note: string, expiry = "1 day") {
  await go(page, "Requests");
  const form = page.locator("form").filter({ has: page.getByRole("heading", { name: "Ask for money" }) });
  await form.getByLabel("From").fill(from);
  await form.getByLabel("Amount").fill(amount);
  await form.getByLabel("Note").fill(note);
  await form.getByLabel("Expires in").selectOption({ label: expiry });
  await form.getByRole("button", { name: "Request money" }).click();
  return form;
}

/** The request with this note in the "asked of you" or "you asked" list. */
function request(page: Page, list: "incoming" | "outgoing", note: string) {
  return page.getByTestId(`requests-${list}`).getByTestId("payment-request").filter({ hasText: note });
}

async function expectBalance(page: Page, amount: string) {
  await go(page, "Dashboard");
  await expect(page.getByTestId("balance")).toHaveText(amount);
}

test("payment requests: asked, approved and paid once, declined, cancelled, and refused for want of money", async ({
  browser,
}) => {
  const alice = await newUser(browser, "alice");
  const bobMobile = uniqueMobile();
  const bob = await newUser(browser, "bob", bobMobile);
  await addMoney(bob.page, "30.00");

  // An unknown user is refused next to the field, which gets focus; nothing is asked.
  let form = await askFor(alice.page, `nobody${Date.now()}`, "5.00", "Nobody");
  await expect(form.getByLabel("From")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("From")).toBeFocused();
  await expect(form.getByText("No one with that username or number uses this wallet.")).toBeVisible();
  // A malformed amount never reaches the server.
  await form.getByLabel("From").fill(bob.username);
  await form.getByLabel("Amount").fill("12,50");
  await form.getByRole("button", { name: "Request money" }).click();
  await expect(form.getByText("Use digits and an optional decimal point, like 12.50.")).toBeVisible();

  // 1. Alice asks Bob (by username) for 12.50; Bob approves after a confirmation that says what and to whom.
  form = await askFor(alice.page, bob.username, "12.50", "Concert tickets");
  await expect(form.getByRole("status")).toContainText(`Asked ${bob.username} for 12.50 USD`);
  await expect(request(alice.page, "outgoing", "Concert tickets").getByTestId("request-status")).toHaveText("Pending");

  await go(bob.page, "Requests");
  const tickets = request(bob.page, "incoming", "Concert tickets");
  await expect(tickets.getByRole("heading")).toHaveText(`${alice.username} asks you for 12.50 USD`);
  await expect(tickets.getByTestId("request-status")).toHaveText("Pending");
  await tickets.getByRole("button", { name: /^Approve/ }).click();
  const confirm = tickets.getByRole("group");
  await expect(confirm).toContainText(`Pay 12.50 USD to ${alice.username}?`);
  await expect(confirm).toContainText("For “Concert tickets”.");
  await confirm.getByRole("button", { name: "Yes, pay 12.50 USD" }).click();
  await expect(bob.page.getByTestId("requests-incoming").getByRole("status")).toHaveText(
    `Paid 12.50 USD to ${alice.username}.`,
  );
  await expect(tickets.getByTestId("request-status")).toHaveText("Paid");
  await expect(tickets.getByRole("button")).toHaveCount(0);

  // Both balances moved by exactly the amount.
  await expectBalance(bob.page, "17.50 USD");
  await expectBalance(alice.page, "12.50 USD");

  // Alice's outbox shows it paid, with its transaction.
  await go(alice.page, "Requests");
  const paid = request(alice.page, "outgoing", "Concert tickets");
  await expect(paid.getByTestId("request-status")).toHaveText("Paid");
  await paid.getByTestId("request-transaction").click();
  await expect(alice.page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(alice.page.locator("main")).toContainText("12.50 USD");
  await expect(alice.page.locator("main")).toContainText(bob.username);

  // 2. Asked by mobile number for a week; Bob declines, and Alice sees it declined.
  form = await askFor(alice.page, bobMobile, "3.00", "Coffee", "1 week");
  await expect(form.getByRole("status")).toContainText(`Asked ${bob.username} for 3.00 USD`);
  await go(bob.page, "Requests");
  const coffee = request(bob.page, "incoming", "Coffee");
  await coffee.getByRole("button", { name: /^Decline/ }).click();
  await expect(bob.page.getByTestId("requests-incoming").getByRole("status")).toHaveText(
    `Declined ${alice.username}'s request for 3.00 USD.`,
  );
  await expect(coffee.getByTestId("request-status")).toHaveText("Declined");
  await alice.page.getByRole("button", { name: /^Refresh.*You asked/ }).click();
  await expect(request(alice.page, "outgoing", "Coffee").getByTestId("request-status")).toHaveText("Declined");

  // 3. Asked for a custom number of hours, then cancelled by Alice: it leaves Bob's pending list.
  await go(alice.page, "Requests");
  form = alice.page.locator("form").filter({ has: alice.page.getByRole("heading", { name: "Ask for money" }) });
  await form.getByLabel("From").fill(bob.username);
  await form.getByLabel("Amount").fill("4.00");
  await form.getByLabel("Note").fill("Taxi");
  await form.getByLabel("Expires in").selectOption({ label: "A number of hours" });
  await form.getByLabel("Hours").fill("721");
  await form.getByRole("button", { name: "Request money" }).click();
  await expect(form.getByLabel("Hours")).toHaveAttribute("aria-invalid", "true");
  await form.getByLabel("Hours").fill("3");
  await form.getByRole("button", { name: "Request money" }).click();
  await expect(form.getByRole("status")).toContainText(`Asked ${bob.username} for 4.00 USD`);

  await bob.page.goto("/requests?incoming=PENDING");
  await expect(request(bob.page, "incoming", "Taxi")).toHaveCount(1);
  await request(alice.page, "outgoing", "Taxi")
    .getByRole("button", { name: /^Cancel request/ })
    .click();
  await expect(alice.page.getByTestId("requests-outgoing").getByRole("status")).toHaveText(
    `Cancelled your request to ${bob.username} for 4.00 USD.`,
  );
  await expect(request(alice.page, "outgoing", "Taxi").getByTestId("request-status")).toHaveText("Cancelled");
  await bob.page.getByRole("button", { name: /^Refresh.*Asked of you/ }).click();
  await expect(request(bob.page, "incoming", "Taxi")).toHaveCount(0);
  await expect(request(bob.page, "incoming", "Concert tickets")).toHaveCount(0);

  // 4. More than Bob has: the approval is refused next to the request, which stays pending; nothing moved.
  await askFor(alice.page, bob.username, "50.00", "New bike");
  await bob.page.goto("/requests");
  const bike = request(bob.page, "incoming", "New bike");
  await bike.getByRole("button", { name: /^Approve/ }).click();
  await bike.getByRole("button", { name: "Yes, pay 50.00 USD" }).click();
  await expect(bike.getByRole("alert")).toHaveText("Not enough money in your wallet for this.");
  await expect(bike.getByTestId("request-status")).toHaveText("Pending");
  await expect(bike.getByRole("button", { name: /^Approve/ })).toBeFocused();
  await screenshot(bob.page, "requests");
  await expectNoOverflowOnAPhone(bob.page, "requests-phone");
  await bob.page.getByRole("button", { name: /^Refresh.*Asked of you/ }).click();
  await expect(bike.getByTestId("request-status")).toHaveText("Pending");
  await expectBalance(bob.page, "17.50 USD");
  await expectBalance(alice.page, "12.50 USD");

  await alice.context.close();
  await bob.context.close();
});
