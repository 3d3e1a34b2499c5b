import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Provider, type Client } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromValue } from "wonka";

import type { PaymentRequestFieldsFragment, PaymentRequestRole } from "../gql/graphql";
import { RequestItem } from "./RequestsPage";

const REQUEST: PaymentRequestFieldsFragment = {
  id: "UGF5bWVudFJlcXVlc3Q6Nw==",
  amount: "5.00",
  currency: "USD",
  note: "pizza",
  status: "PENDING",
  requester: "alice",
  payer: "bob",
  createdAt: "2030-01-01T12:00:00Z",
  expiresAt: "2030-01-02T12:00:00Z",
  resolvedAt: null,
  transaction: null,
};

const PAID = {
  ...REQUEST,
  status: "PAID" as const,
  resolvedAt: "2030-01-01T13:00:00Z",
  transaction: { id: "VHJhbnNhY3Rpb246OQ==", status: "SUCCESS" as const },
};

/** A request; each call of a mutation answers with the next of `answers` (null: the answer was lost). */
function renderItem(role: PaymentRequestRole, answers: (object | null)[], request = REQUEST) {
  let call = 0;
  const executeMutation = vi.fn((operation: { query: { definitions: { name?: { value: string } }[] } }) => {
    const answer = answers[Math.min(call++, answers.length - 1)];
    const name = operation.query.definitions[0].name!.value;
    const field = name[0].toLowerCase() + name.slice(1);
    return fromValue(answer ? { data: { [field]: answer } } : {});
  });
  const onDone = vi.fn();
  render(
    <Provider value={{ executeMutation } as unknown as Client}>
      <MemoryRouter>
        <RequestItem request={request} role={role} onDone={onDone} />
      </MemoryRouter>
    </Provider>,
  );
  return { executeMutation, onDone };
}

const sent = (mock: ReturnType<typeof renderItem>["executeMutation"], call: number) =>
  (mock.mock.calls[call] as unknown as [{ variables: { id: string; idempotencyKey: string } }])[0].variables;

const click = (name: RegExp) => fireEvent.click(screen.getByRole("button", { name }));

afterEach(cleanup);

describe("RequestItem", () => {
  it("asks before paying, with the amount and the requester, and pays with a key", async () => {
    const { executeMutation, onDone } = renderItem("INCOMING", [
      { paymentRequest: PAID, transaction: PAID.transaction, replayed: false, errors: [] },
    ]);
    expect(screen.getByRole("heading", { name: "alice asks you for 5.00 USD" })).toBeTruthy();
    click(/^Approve/);
    expect(executeMutation).not.toHaveBeenCalled();
    const question = screen.getByText("Pay 5.00 USD to alice?");
    expect(question.closest("p")).toBe(document.activeElement);
    expect(screen.getByRole("group").textContent).toContain("For “pizza”.");
    click(/^Yes, pay 5.00 USD/);
    await waitFor(() => expect(onDone).toHaveBeenCalledWith("Paid 5.00 USD to alice."));
    expect(sent(executeMutation, 0)).toEqual({ id: REQUEST.id, idempotencyKey: expect.any(String) });
  });

  it("shows a refusal next to the request and leaves it pending; a lost answer is retried with the same key", async () => {
    const refused = {
      paymentRequest: null,
      transaction: null,
      replayed: false,
      errors: [{ code: "INSUFFICIENT_FUNDS", field: null, message: "Insufficient funds." }],
    };
    const { executeMutation, onDone } = renderItem("INCOMING", [null, refused, refused]);
    click(/^Approve/);
    click(/^Yes, pay/);
    expect(await screen.findByText(/we don't know whether this went through/)).toBeTruthy();
    click(/^Approve/);
    click(/^Yes, pay/);
    expect(await screen.findByText("Not enough money in your wallet for this.")).toBeTruthy();
    expect(sent(executeMutation, 1).idempotencyKey).toBe(sent(executeMutation, 0).idempotencyKey);
    expect(screen.getByRole("button", { name: /^Approve/ })).toBe(document.activeElement);
    click(/^Approve/);
    click(/^Yes, pay/);
    await waitFor(() => expect(executeMutation).toHaveBeenCalledTimes(3));
    expect(sent(executeMutation, 2).idempotencyKey).not.toBe(sent(executeMutation, 1).idempotencyKey);
    expect(onDone).not.toHaveBeenCalled();
  });

  it("declines without asking, and says when a request is no longer pending", async () => {
    const { onDone } = renderItem("INCOMING", [
      { paymentRequest: null, errors: [{ code: "PAYMENT_REQUEST_NOT_PENDING", field: "id", message: "Not pending." }] },
      { paymentRequest: { ...REQUEST, status: "DECLINED" }, errors: [] },
    ]);
    click(/^Decline/);
    expect(await screen.findByText("This request was already paid, declined, cancelled or has expired.")).toBeTruthy();
    click(/^Decline/);
    await waitFor(() => expect(onDone).toHaveBeenCalledWith("Declined alice's request for 5.00 USD."));
  });

  it("lets the requester cancel a pending request, and shows a paid one's transaction", async () => {
    const { onDone } = renderItem("OUTGOING", [{ paymentRequest: { ...REQUEST, status: "CANCELLED" }, errors: [] }]);
    expect(screen.getByRole("heading", { name: "You asked bob for 5.00 USD" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: /^Approve/ })).toBeNull();
    click(/^Cancel request/);
    await waitFor(() => expect(onDone).toHaveBeenCalledWith("Cancelled your request to bob for 5.00 USD."));
    cleanup();
    renderItem("OUTGOING", [], PAID);
    expect(screen.getByTestId("request-status").textContent).toBe("Paid");
    expect(screen.getByTestId("request-transaction").getAttribute("href")).toBe(
      `/transactions/${encodeURIComponent(PAID.transaction.id)}`,
    );
    expect(screen.queryByRole("button")).toBeNull();
  });
});
