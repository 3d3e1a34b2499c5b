import { expect, test, type Page } from "@playwright/test";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { addMoney, expectNoOverflowOnAPhone, go, newUser, screenshot } from "./support";

interface Received {
  method: string;
  path: string;
  contentType: string;
  id: string;
  timestamp: string;
  signature: string;
  body: Buffer;
}

/**
 * A merchant's webhook receiver, for real: an HTTP server on 127.0.0.1 (any free port) that records each request
 * and answers with what `answer` says (200 unless told otherwise), the way a server behind the URL would.
 */
async function startReceiver(answer: (request: Received) => number = () => 200) {
  const requests: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const header = (name: string) => String(request.headers[name] ?? "");
      const received: Received = {
        method: request.method ?? "",
        path: request.url ?? "",
        contentType: header("content-type"),
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: Buffer.concat(chunks),
      };
      requests.push(received);
      response.statusCode = answer(received);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/wallet`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Standard Webhooks: each `v1,<base64>` entry of `webhook-signature` is HMAC-SHA256 over
 * "<webhook-id>.<webhook-timestamp>.<body>", keyed with the base64-decoded part of the secret after `whsec_`.
 * True when one entry is that signature by this secret.
 */
function signedBy(secret: string, request: Received): boolean {
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(`${request.id}.${request.timestamp}.`), request.body]))
    .digest();
  return request.signature.split(" ").some((entry) => {
    const [version, value] = entry.split(",", 2);
    const given = Buffer.from(value ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const deliveries = (page: Page) => page.getByTestId("delivery");

test("a webhook endpoint: its secret is shown once, a top-up is delivered signed, and Redeliver sends it again", async ({
  browser,
}) => {
  const receiver = await startReceiver();
  const wendy = await newUser(browser, "wendy");
  const { page } = wendy;

  await go(page, "Webhooks");
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
  await expect(page.getByText("No endpoints yet.")).toBeVisible();
  const urlInput = page.getByLabel("Endpoint URL", { exact: true });

  // The form checks what it can before sending: each error is next to its input, and the first gets focus.
  await page.getByLabel("Transaction succeeded").uncheck();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(urlInput).toHaveAttribute("aria-invalid", "true");
  await expect(urlInput).toBeFocused();
  await expect(page.getByText("Enter the URL your server receives webhooks at.")).toBeVisible();
  await expect(page.getByText("Choose at least one event to send.")).toBeVisible();

  // The server has the last word (INVALID_INPUT on field `url`), shown next to the URL the same way.
  const sent: string[] = [];
  page.on("request", (request) => {
    if (request.url().endsWith("/graphql/") && request.postData()?.includes('"operationName":"CreateWebhookEndpoint"'))
      sent.push(request.postData()!);
  });
  await urlInput.fill("https://shop:hunter2@shop.example/hooks");
  await page.getByLabel("Transaction succeeded").check();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText("Put no credentials in the URL")).toBeVisible();
  await expect(urlInput).toHaveAttribute("aria-invalid", "true");
  await expect(urlInput).toBeFocused();
  expect(sent).toHaveLength(1);
  await expect(page.getByText("No endpoints yet.")).toBeVisible();

  await urlInput.fill(receiver.url);
  await page.getByRole("button", { name: "Add endpoint" }).click();

  // The signing secret, once: in a box that says to store it now, with focus on its heading.
  const box = page.getByRole("region", { name: "Store the signing secret now" });
  await expect(box).toBeVisible();
  await expect(box.getByRole("heading", { name: "Store the signing secret now" })).toBeFocused();
  await expect(box).toContainText(`This is the only time the signing secret of ${receiver.url} is shown.`);
  const secret = await page.getByTestId("new-webhook-secret").inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{20,}=*$/);

  const endpoint = page.locator(".endpoints > li").filter({ hasText: receiver.url });
  await expect(endpoint).toHaveCount(1);
  await expect(endpoint.getByTestId("endpoint-state")).toHaveText("Enabled");
  await expect(endpoint).toContainText("Transaction succeeded");
  await expect(urlInput).toHaveValue("");
  await expect(page.getByText("No deliveries yet.")).toBeVisible();

  // Nothing keeps it: not storage, and not the page once reloaded.
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
  expect(stored).not.toContain(secret);
  await page.reload();
  await expect(endpoint.getByTestId("endpoint-state")).toHaveText("Enabled");
  await expect(box).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  // Money moves: the receiver gets transaction.succeeded, signed.
  await addMoney(page, "25.00");
  await go(page, "Webhooks");
  await expect.poll(() => receiver.requests.length).toBe(1);
  const [first] = receiver.requests;
  expect(first.method).toBe("POST");
  expect(first.path).toBe("/hooks/wallet");
  expect(first.contentType).toBe("application/json");
  expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(Math.abs(Number(first.timestamp) - Date.now() / 1000)).toBeLessThan(120);
  expect(first.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  expect(signedBy(secret, first)).toBe(true);
  expect(signedBy(secret, { ...first, body: Buffer.from(first.body.toString().replace("25.00", "2500.00")) })).toBe(
    false,
  );
  const event = JSON.parse(first.body.toString());
  expect(event).toMatchObject({ type: "transaction.succeeded", data: { kind: "ADD_MONEY", amount: "25.00" } });

  // The log shows it delivered (it updates by itself while the delivery is pending). Newer ones come first, so
  // this one stays the last.
  const delivery = deliveries(page).last();
  await expect(deliveries(page)).toHaveCount(1);
  await expect(delivery.getByTestId("delivery-status")).toHaveText("Succeeded");
  await expect(delivery.getByRole("heading", { name: "Transaction succeeded" })).toBeVisible();
  await expect(delivery.getByTestId("delivery-webhook-id")).toHaveText(first.id);
  await expect(delivery.getByTestId("delivery-attempts")).toHaveText("1");
  await expect(delivery.getByTestId("delivery-last-answer")).toHaveText("HTTP 200");
  await expect(delivery.getByTestId("delivery-delivered")).toBeVisible();
  await expect(delivery.getByTestId("attempt-log")).toBeHidden();
  await delivery.getByText("Attempt log (1)").click();
  await expect(delivery.getByTestId("attempt-log").locator("tbody tr")).toHaveCount(1);
  await expect(delivery.getByTestId("attempt-log").locator("tbody tr")).toContainText("HTTP 200");
  await delivery.getByText("Payload").click();
  await expect(delivery.getByTestId("delivery-payload")).toContainText('"type": "transaction.succeeded"');
  await expect(delivery.getByTestId("delivery-payload")).toContainText('"amount": "25.00"');

  // Redeliver: a new delivery with the same webhook-id, at the top; the receiver gets it a second time.
  await delivery.getByRole("button", { name: /^Redeliver/ }).click();
  await expect(delivery.getByRole("status")).toHaveText(
    "Sent again: a new delivery with the same webhook-id, at the top of the list.",
  );
  await expect(deliveries(page)).toHaveCount(2);
  const again = deliveries(page).first();
  await expect(again).toContainText("Redelivery");
  await expect(again.getByTestId("delivery-webhook-id")).toHaveText(first.id);
  await expect.poll(() => receiver.requests.length).toBe(2);
  expect(receiver.requests[1].id).toBe(first.id);
  expect(receiver.requests[1].body.equals(first.body)).toBe(true);
  expect(signedBy(secret, receiver.requests[1])).toBe(true);
  await expect(again.getByTestId("delivery-status")).toHaveText("Succeeded");
  await expect(page.getByTestId("delivery-count")).toHaveText("2 deliveries, newest first.");
  await again.getByText("Attempt log (1)").click();
  await screenshot(page, "webhooks");
  await expectNoOverflowOnAPhone(page, "webhooks-phone");

  // Per endpoint: its deliveries only (both, here), kept in the URL.
  await endpoint.getByRole("button", { name: /^Its deliveries/ }).click();
  await expect(page).toHaveURL(/[?&]endpoint=\d+/);
  await expect(page.getByLabel("Endpoint", { exact: true })).toHaveValue(/^\d+$/);
  await expect(deliveries(page)).toHaveCount(2);
  await page.getByLabel("Status", { exact: true }).selectOption("FAILED");
  await expect(page.getByText("No deliveries match.")).toBeVisible();
  await page.getByLabel("Status", { exact: true }).selectOption("");
  await expect(deliveries(page)).toHaveCount(2);

  // Rotating asks first; "Cancel" puts focus back. The new secret is shown once, and for 24 hours each
  // delivery is signed by both.
  await endpoint.getByRole("button", { name: /^Rotate secret/ }).click();
  await expect(endpoint.locator("p", { hasText: `Rotate the signing secret of ${receiver.url}?` })).toBeFocused();
  await endpoint.getByRole("button", { name: "Cancel" }).click();
  await expect(endpoint.getByRole("button", { name: /^Rotate secret/ })).toBeFocused();
  await endpoint.getByRole("button", { name: /^Rotate secret/ }).click();
  await endpoint.getByRole("button", { name: "Yes, rotate it" }).click();
  await expect(box.getByRole("heading", { name: "Store the signing secret now" })).toBeFocused();
  await expect(box).toContainText(`This is the only time the new signing secret of ${receiver.url} is shown.`);
  const rotated = await page.getByTestId("new-webhook-secret").inputValue();
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(secret);
  await box.getByRole("button", { name: "Done, I stored it" }).click();
  await expect(box).toHaveCount(0);
  await expect(endpoint.getByRole("heading", { name: receiver.url })).toBeFocused();

  await deliveries(page).last().getByRole("button", { name: /^Redeliver/ }).click();
  await expect.poll(() => receiver.requests.length).toBe(3);
  const third = receiver.requests[2];
  expect(third.id).toBe(first.id);
  expect(third.signature.split(" ")).toHaveLength(2);
  expect(signedBy(rotated, third)).toBe(true);
  expect(signedBy(secret, third)).toBe(true);
  await expect(deliveries(page)).toHaveCount(3);
  await expect(deliveries(page).first().getByTestId("delivery-status")).toHaveText("Succeeded");

  // Disable: nothing can be redelivered to it; enable again.
  await endpoint.getByRole("button", { name: `Disable ${receiver.url}` }).click();
  await expect(page.getByRole("status").filter({ hasText: "Disabled" })).toHaveText(
    `Disabled ${receiver.url}: nothing is sent to it until you enable it again.`,
  );
  await expect(endpoint.getByTestId("endpoint-state")).toHaveText("Disabled");
  await expect(endpoint.getByRole("button", { name: `Enable ${receiver.url}` })).toBeFocused();
  await expect(page.getByRole("button", { name: /^Redeliver/ })).toHaveCount(0);
  await expect(deliveries(page).first()).toContainText("Enable its endpoint to send this again.");
  await endpoint.getByRole("button", { name: `Enable ${receiver.url}` }).click();
  await expect(endpoint.getByTestId("endpoint-state")).toHaveText("Enabled");
  await expect(page.getByRole("button", { name: /^Redeliver/ })).toHaveCount(3);

  // Deleting asks first, then the endpoint and its log are gone.
  await endpoint.getByRole("button", { name: /^Delete/ }).click();
  await expect(endpoint.locator("p", { hasText: `Delete ${receiver.url}?` })).toBeFocused();
  await endpoint.getByRole("button", { name: "Cancel" }).click();
  await expect(endpoint.getByRole("button", { name: /^Delete/ })).toBeFocused();
  await endpoint.getByRole("button", { name: /^Delete/ }).click();
  await endpoint.getByRole("button", { name: "Yes, delete it" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Deleted" })).toHaveText(
    `Deleted ${receiver.url} and its delivery log.`,
  );
  await expect(page.getByRole("heading", { name: "Your endpoints" })).toBeFocused();
  await expect(page.getByText("No endpoints yet.")).toBeVisible();
  await expect(page.getByText("No deliveries yet.")).toBeVisible();
  await expect(page).not.toHaveURL(/endpoint=/);

  await wendy.context.close();
  await receiver.close();
});

test("a receiver that fails: the failed attempt (HTTP 500) is shown, and the retry succeeds", async ({ browser }) => {
  // It answers 500 until the test has seen the failure in the page; the service retries after about a second.
  let failing = true;
  const receiver = await startReceiver(() => (failing ? 500 : 204));
  const victor = await newUser(browser, "victor");
  const { page } = victor;

  await go(page, "Webhooks");
  await page.getByLabel("Endpoint URL", { exact: true }).fill(receiver.url);
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const secret = await page.getByTestId("new-webhook-secret").inputValue();
  await addMoney(page, "7.50");
  await go(page, "Webhooks");

  const delivery = deliveries(page).first();
  await expect(delivery.getByTestId("delivery-last-answer")).toHaveText("HTTP 500");
  await expect(delivery.getByTestId("delivery-status")).toHaveText("Pending");
  await expect(delivery.getByTestId("delivery-next-try")).not.toHaveText("Now");
  expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
  expect(signedBy(secret, receiver.requests[0])).toBe(true);
  failing = false;

  // No click: the page looks again while a delivery is pending.
  await expect(delivery.getByTestId("delivery-status")).toHaveText("Succeeded", { timeout: 45_000 });
  await expect(delivery.getByTestId("delivery-last-answer")).toHaveText("HTTP 204");
  const attempts = receiver.requests.length;
  expect(attempts).toBeGreaterThanOrEqual(2);
  await expect(delivery.getByTestId("delivery-attempts")).toHaveText(String(attempts));
  expect(new Set(receiver.requests.map((request) => request.id)).size).toBe(1);
  expect(receiver.requests.every((request) => signedBy(secret, request))).toBe(true);

  await delivery.getByText(`Attempt log (${attempts})`).click();
  const rows = delivery.getByTestId("attempt-log").locator("tbody tr");
  await expect(rows).toHaveCount(attempts);
  await expect(rows.first()).toContainText("HTTP 500");
  await expect(rows.last()).toContainText("HTTP 204");
  await screenshot(page, "webhooks-retry");
  await expectNoOverflowOnAPhone(page);

  await victor.context.close();
  await receiver.close();
});
