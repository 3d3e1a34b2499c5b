import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Provider, type Client } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromValue, never } from "wonka";

import { TransferPage } from "../pages/MoneyPages";
import { ViewerContext } from "./Viewer";

const LIMITS = {
  tier: "BASIC",
  daily: { limit: "100.00", used: "60.00", remaining: "40.00", resetsAt: "2030-01-02T00:00:00Z" },
  monthly: null,
  maxBalance: null,
  perTransaction: "50.00",
};

const operationName = (operation: { query: { definitions: { name?: { value: string } }[] } }) =>
  operation.query.definitions.find((definition) => definition.name)!.name!.value;

/** The send page on a mocked API: a quote with a fee of 1.25, the limits above, and the transfer's answers in turn. */
function renderSend(...answers: (object | null)[]) {
  let call = 0;
  // The limits come through the query hook; the quote is asked afresh with client.query.
  const executeQuery = vi.fn((operation) =>
    operationName(operation) === "SendLimits"
      ? fromValue({ data: { wallet: { id: "W", currency: "USD", limits: LIMITS } } })
      : never,
  );
  const query = vi.fn((document, variables: { amount: string }) => {
    expect(operationName({ query: document })).toBe("QuoteTransfer");
    const total = (Math.round(Number(variables.amount) * 100) + 125) / 100;
    const quote = { amount: variables.amount, fee: "1.25", total: total.toFixed(2), currency: "USD" };
    return { toPromise: () => Promise.resolve({ data: { quoteTransfer: quote } }) };
  });
  const executeMutation = vi.fn(() => {
    const answer = answers[Math.min(call++, answers.length - 1)];
    return fromValue(answer ? { data: { transfer: answer } } : {});
  });
  const client = { executeQuery, executeMutation, query } as unknown as Client;
  render(
    <Provider value={client}>
      <ViewerContext.Provider value={{ username: "ann", mobileNumber: null, currency: "USD" }}>
        <MemoryRouter>
          <TransferPage />
        </MemoryRouter>
      </ViewerContext.Provider>
    </Provider>,
  );
  return { query, executeMutation };
}

function fill(username: string, amount: string) {
  fireEvent.change(screen.getByLabelText("Username"), { target: { value: username } });
  fireEvent.change(screen.getByLabelText("Amount"), { target: { value: amount } });
}

const sentKey = (mock: ReturnType<typeof renderSend>["executeMutation"], call: number) =>
  (mock.mock.calls[call] as unknown as [{ variables: { input: { idempotencyKey: string } } }])[0].variables.input
    .idempotencyKey;

afterEach(cleanup);

describe("the send form's confirm step", () => {
  it("shows the server's fee and total before sending, and sends only on confirm", async () => {
    const { executeMutation, query } = renderSend({
      transaction: { id: "VHJhbnNhY3Rpb246MQ==", status: "SUCCESS" },
      replayed: false,
      errors: [],
    });
    fill("bob", "20");
    fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    const heading = await screen.findByRole("heading", { name: "Check and confirm" });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(screen.getByTestId("quote-amount").textContent).toBe("20.00 USD");
    expect(screen.getByTestId("quote-fee").textContent).toBe("1.25 USD");
    expect(screen.getByTestId("quote-total").textContent).toBe("21.25 USD");
    expect(screen.getByTestId("quote").textContent).toContain("Tobob");
    expect(query.mock.calls[0][1]).toEqual({ amount: "20", receiverUsername: "bob" });
    expect(executeMutation).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("Sent 20.00 USD to bob."));
    expect(executeMutation).toHaveBeenCalledTimes(1);
    expect(screen.getByRole("button", { name: "Continue" })).toBeTruthy();
  });

  it("goes back to the form with “Change”, keeping what was typed", async () => {
    const { executeMutation } = renderSend(null);
    fill("bob", "5");
    fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    await screen.findByTestId("quote-fee");
    fireEvent.click(screen.getByRole("button", { name: "Change" }));
    expect((screen.getByLabelText("Amount") as HTMLInputElement).value).toBe("5");
    expect(executeMutation).not.toHaveBeenCalled();
  });

  it("keeps the confirm step and the key when the answer is lost, so sending again replays", async () => {
    const { executeMutation } = renderSend(null, {
      transaction: { id: "VHJhbnNhY3Rpb246MQ==", status: "SUCCESS" },
      replayed: true,
      errors: [],
    });
    fill("bob", "5");
    fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    fireEvent.click(await screen.findByRole("button", { name: "Send" }));
    await screen.findByText(/we don't know whether this went through/);
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("(already done earlier)"));
    expect(sentKey(executeMutation, 1)).toBe(sentKey(executeMutation, 0));
  });

  it("goes back to the form with a refusal next to its field", async () => {
    renderSend({
      transaction: { id: "VHJhbnNhY3Rpb246Mg==", status: "FAILED" },
      replayed: false,
      errors: [{ code: "WALLET_FROZEN", field: null, message: "Wallet frozen." }],
    });
    fill("bob", "5");
    fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    fireEvent.click(await screen.findByRole("button", { name: "Send" }));
    expect(await screen.findByText(/A frozen wallet can't send or receive this payment/)).toBeTruthy();
    expect(screen.getByLabelText("Amount")).toBeTruthy();
  });

  it("warns, before sending, about an amount over what the limits leave", async () => {
    renderSend(null);
    fill("bob", "45");
    expect((await screen.findByTestId("limit-warning")).textContent).toContain(
      "This is more than the 40.00 USD left of your daily limit today.",
    );
    fill("bob", "60");
    expect(screen.getByTestId("limit-warning").textContent).toContain(
      "This is more than the 50.00 USD you can send in one payment.",
    );
    fill("bob", "40");
    expect(screen.queryByTestId("limit-warning")).toBeNull();
  });
});
