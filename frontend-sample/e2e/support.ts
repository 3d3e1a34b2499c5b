import { expect, type Browser, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PASSWORD = "correct-horse-battery-42";
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "screenshots");

let counter = 0;
const run = Date.now().toString(36).slice(-5);

/** A username no other test of this run (or an earlier run on the same database) has used. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${run}${counter}`;
}

/** A valid, unused US number in the range kept for fiction (555-01xx), different per call. */
export function uniqueMobile(): string {
  counter += 1;
  const digits = (Date.now() + counter).toString().slice(-2);
  return `+1415555${(100 + Number(digits)).toString().slice(-4).padStart(4, "0")}`;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export async function signUp(page: Page, username: string, mobileNumber?: string): Promise<void> {
  await page.goto("/signup");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  if (mobileNumber) await page.getByLabel("Mobile number (optional)").fill(mobileNumber);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: `Hello, ${username}` })).toBeVisible();
}

export async function newUser(browser: Browser, prefix: string, mobileNumber?: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const username = uniqueName(prefix);
  await signUp(page, username, mobileNumber);
  return { context, page, username };
}

export async function go(page: Page, link: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
}

export async function addMoney(page: Page, amount: string): Promise<void> {
  await go(page, "Add money");
  await page.getByLabel("Amount").fill(amount);
  await page.getByRole("button", { name: "Add money" }).click();
  await expect(page.getByRole("status")).toContainText(`Added ${amount}`);
}

/**
 * A payment's confirm step: "Continue" asks the server for the fee, and the confirm step's button (`button`:
 * "Send", "Pay", "Withdraw") sends. `click` is "dblclick" to double-click it.
 */
export async function confirmPayment(page: Page, button: string, click: "click" | "dblclick" = "click") {
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Check and confirm" })).toBeFocused();
  await page.getByRole("button", { name: button, exact: true })[click]();
}

export async function transfer(page: Page, to: string, amount: string): Promise<void> {
  await go(page, "Send");
  await page.getByLabel("Username").fill(to);
  await page.getByLabel("Amount").fill(amount);
  await confirmPayment(page, "Send");
}

export async function balance(page: Page): Promise<string> {
  await go(page, "Dashboard");
  return (await page.getByTestId("balance").textContent()) ?? "";
}

/** The rows of the history list, as their visible text. */
export async function historyRows(page: Page, query = ""): Promise<string[]> {
  await page.goto(`/history${query}`);
  await expect(page.getByText(/\d+ transactions?$/)).toBeVisible();
  return page.locator(".transactions > li").allInnerTexts();
}

/** Nothing on the page is wider than a 375-pixel phone screen (the viewport is put back after). */
export async function expectNoOverflowOnAPhone(page: Page, screenshotName?: string): Promise<void> {
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: 375, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  if (screenshotName) await screenshot(page, screenshotName);
  await page.setViewportSize(size);
}
