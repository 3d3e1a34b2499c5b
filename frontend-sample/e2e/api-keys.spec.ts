import { expect, test } from "@playwright/test";

import { addMoney, expectNoOverflowOnAPhone, go, newUser, screenshot } from "./support";

/** What a merchant's server does: a plain fetch with the key, no browser and no session. */
async function askWithKey(baseURL: string, key: string) {
  const response = await fetch(new URL("/graphql/", baseURL), {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `ApiKey ${key}` },
    body: JSON.stringify({ query: "{ me { username } wallet { balance currency } }" }),
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      data: { me: { username: string }; wallet: { balance: string; currency: string } } | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

test("an API key: its secret is shown once, a server reads the wallet with it, and once revoked it is refused", async ({
  browser,
  baseURL,
}) => {
  const judy = await newUser(browser, "judy");
  const { page } = judy;
  await addMoney(page, "12.00");

  await go(page, "API keys");
  await expect(page.getByRole("heading", { name: "API keys", level: 1 })).toBeVisible();
  await expect(page.getByText("No keys yet.")).toBeVisible();

  // The form checks what it can before sending: the error is next to the input, which gets focus.
  await page.getByLabel("Read", { exact: true }).uncheck();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Name")).toBeFocused();
  await expect(page.getByText("Choose at least one thing the key may do.")).toBeVisible();

  await page.getByLabel("Name").fill("Shop server");
  await page.getByLabel("Read", { exact: true }).check();
  await page.getByLabel("Expires in (days)").fill("30");
  await page.getByRole("button", { name: "Create key" }).click();

  // The secret, once: in a box that says to store it now, with focus on its heading.
  const box = page.getByRole("region", { name: "Store your new key now" });
  await expect(box).toBeVisible();
  await expect(box.getByRole("heading", { name: "Store your new key now" })).toBeFocused();
  await expect(box).toContainText("This is the only time the key “Shop server” is shown.");
  const secret = await page.getByTestId("new-api-key").inputValue();
  const [, prefix] = secret.match(/^wk_([0-9a-f]+)_[\w-]{20,}$/) ?? [];
  expect(prefix).toBeTruthy();

  const item = page.locator(".api-keys > li").filter({ hasText: "Shop server" });
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(`wk_${prefix}_…`);
  await expect(item).toContainText("Read");
  await expect(item.getByTestId("api-key-state")).toHaveText("Active");
  await expect(item.getByTestId("api-key-last-used")).toHaveText("Never");
  await expect(page.getByLabel("Name")).toHaveValue("");
  await judy.context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await box.getByRole("button", { name: "Copy the key" }).click();
  await expect(box.getByRole("status")).toHaveText("Copied to the clipboard.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await screenshot(page, "api-keys");
  await expectNoOverflowOnAPhone(page, "api-keys-phone");

  // Nothing keeps it: not storage, and not the page once left or reloaded.
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
  expect(stored).not.toContain(secret);
  await go(page, "Dashboard");
  await go(page, "API keys");
  await expect(item.getByTestId("api-key-state")).toHaveText("Active");
  await expect(box).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  await page.reload();
  await expect(item.getByTestId("api-key-state")).toHaveText("Active");
  await expect(box).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  // A server reads the wallet with the key alone.
  const read = await askWithKey(baseURL!, secret);
  expect(read.body.errors).toBeUndefined();
  expect(read.body.data).toEqual({ me: { username: judy.username }, wallet: { balance: "12.00", currency: "USD" } });
  await page.reload();
  await expect(item.getByTestId("api-key-last-used")).not.toHaveText("Never");

  // Revoking asks first; "Cancel" puts focus back on "Revoke".
  await item.getByRole("button", { name: "Revoke Shop server" }).click();
  await expect(item.getByText("Revoke “Shop server”?")).toBeVisible();
  await expect(item.locator("p", { hasText: "Revoke “Shop server”?" })).toBeFocused();
  await item.getByRole("button", { name: "Cancel" }).click();
  await expect(item.getByRole("button", { name: "Revoke Shop server" })).toBeFocused();
  await item.getByRole("button", { name: "Revoke Shop server" }).click();
  await item.getByRole("button", { name: "Yes, revoke it" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Revoked" })).toHaveText(
    "Revoked “Shop server”: it no longer works.",
  );
  await expect(item.getByTestId("api-key-state")).toHaveText("Revoked");
  await expect(item.getByRole("heading", { name: "Shop server" })).toBeFocused();
  await expect(item.getByRole("button", { name: /Revoke/ })).toHaveCount(0);

  // The same request is now refused as unauthenticated.
  const refused = await askWithKey(baseURL!, secret);
  expect(refused.body.data).toBeNull();
  expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  await page.reload();
  await expect(item.getByTestId("api-key-state")).toHaveText("Revoked");

  await judy.context.close();
});
