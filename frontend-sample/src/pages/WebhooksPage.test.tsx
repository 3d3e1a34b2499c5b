import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Provider, type Client } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromValue, never } from "wonka";

import type { WebhookDeliveryFieldsFragment } from "../gql/graphql";
import { DeliveryItem } from "./WebhooksPage";

const DELIVERY: WebhookDeliveryFieldsFragment = {
  id: "7",
  endpointId: "3",
  eventId: "0d724946-4845-42c8-8056-e25d1020a72d",
  eventType: "TRANSACTION_SUCCEEDED",
  status: "FAILED",
  attempts: 9,
  lastStatusCode: 500,
  lastError: "HTTP 500",
  nextAttemptAt: null,
  createdAt: "2030-01-01T12:00:00Z",
  deliveredAt: null,
  redelivery: false,
  payload: { type: "transaction.succeeded", data: { amount: "5.00" } },
  attemptLog: [{ attemptedAt: "2030-01-01T12:00:00Z", statusCode: 500, error: "HTTP 500", durationMs: 12 }],
};

const ENDPOINT = {
  id: "3",
  url: "https://shop.example/hooks",
  eventTypes: ["TRANSACTION_SUCCEEDED" as const],
  enabled: true,
  disabledReason: null,
  createdAt: "2030-01-01T11:00:00Z",
};

const redelivered = (id: string) => ({ delivery: { ...DELIVERY, id, status: "PENDING", attempts: 0, redelivery: true }, errors: [] });

/** A delivery with its Redeliver button; each call of the mutation answers with the next of `answers` (null: lost). */
function renderDelivery(answers: (object | null | "hang")[], endpoint = ENDPOINT) {
  let call = 0;
  const executeMutation = vi.fn(() => {
    const answer = answers[Math.min(call++, answers.length - 1)];
    if (answer === "hang") return never;
    return fromValue(answer ? { data: { redeliverWebhook: answer } } : {});
  });
  const onRedelivered = vi.fn();
  render(
    <Provider value={{ executeMutation } as unknown as Client}>
      <DeliveryItem
        delivery={DELIVERY}
        endpoint={endpoint}
        showEndpoint
        isNew={false}
        newOnTop
        onRedelivered={onRedelivered}
      />
    </Provider>,
  );
  return { executeMutation, onRedelivered };
}

const sentKey = (mock: ReturnType<typeof renderDelivery>["executeMutation"], call: number) =>
  (mock.mock.calls[call] as unknown as [{ variables: { input: { deliveryId: string; idempotencyKey: string } } }])[0]
    .variables.input;

const redeliver = () => fireEvent.click(screen.getByRole("button", { name: /^Redeliver/ }));

afterEach(cleanup);

describe("DeliveryItem", () => {
  it("shows what the receiver answered, and its attempts", () => {
    renderDelivery([]);
    expect(screen.getByTestId("delivery-status").textContent).toBe("Failed");
    expect(screen.getByTestId("delivery-last-answer").textContent).toBe("HTTP 500");
    expect(screen.getByTestId("delivery-attempts").textContent).toBe("9");
    expect(screen.getByText("https://shop.example/hooks")).toBeTruthy();
    expect(screen.getByTestId("attempt-log").textContent).toContain("12 ms");
  });

  it("keeps the key to retry a click whose answer was lost, and makes a new one per click after that", async () => {
    const { executeMutation, onRedelivered } = renderDelivery([null, redelivered("8"), redelivered("9")]);
    redeliver();
    await screen.findByText(/we don't know whether it was sent again/);
    redeliver();
    await waitFor(() =>
      expect(screen.getByRole("status").textContent).toBe(
        "Sent again: a new delivery with the same webhook-id, at the top of the list.",
      ),
    );
    expect(onRedelivered).toHaveBeenCalledWith(expect.objectContaining({ id: "8" }));
    expect(sentKey(executeMutation, 0)).toEqual({ deliveryId: "7", idempotencyKey: expect.any(String) });
    expect(sentKey(executeMutation, 1).idempotencyKey).toBe(sentKey(executeMutation, 0).idempotencyKey);

    redeliver();
    await waitFor(() => expect(onRedelivered).toHaveBeenCalledTimes(2));
    expect(sentKey(executeMutation, 2).idempotencyKey).not.toBe(sentKey(executeMutation, 0).idempotencyKey);
    expect(screen.queryByText(/we don't know/)).toBeNull();
  });

  it("sends one request for a double click", () => {
    const { executeMutation } = renderDelivery(["hang"]);
    const button = screen.getByRole("button", { name: /^Redeliver/ });
    fireEvent.click(button);
    fireEvent.click(button);
    expect(button.textContent).toContain("Sending again…");
    expect(executeMutation).toHaveBeenCalledTimes(1);
  });

  it("shows the server's refusal, and offers no Redeliver while the endpoint is disabled", async () => {
    renderDelivery([
      { delivery: null, errors: [{ code: "INVALID_INPUT", field: "deliveryId", message: "No such delivery of yours." }] },
    ]);
    redeliver();
    expect(await screen.findByText("Check this value. No such delivery of yours.")).toBeTruthy();
    cleanup();
    renderDelivery([], { ...ENDPOINT, enabled: false });
    expect(screen.queryByRole("button", { name: /^Redeliver/ })).toBeNull();
    expect(screen.getByText("Enable its endpoint to send this again.")).toBeTruthy();
  });
});
