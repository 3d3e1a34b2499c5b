import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Provider, type Client } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromValue } from "wonka";

import { Withdraw } from "../pages/MoneyPages";
import { MoneyForm } from "./MoneyForm";

function renderForm(answer: object) {
  const executeMutation = vi.fn(() => fromValue({ data: { withdraw: answer } }));
  const client = { executeMutation } as unknown as Client;
  render(
    <Provider value={client}>
      <MemoryRouter>
        <MoneyForm
          fields={[{ name: "amount", label: "Amount", kind: "amount", required: true }]}
          submitLabel="Withdraw"
          mutation={Withdraw}
          variables={(values, idempotencyKey) => ({ input: { amount: values.amount, idempotencyKey } })}
          payload={(data) => data.withdraw}
          success={(values) => `Withdrew ${values.amount}.`}
        />
      </MemoryRouter>
    </Provider>,
  );
  return executeMutation;
}

const sentInput = (mock: ReturnType<typeof renderForm>, call: number) =>
  (mock.mock.calls[call] as unknown as [{ variables: { input: { amount: string; idempotencyKey: string } } }])[0]
    .variables.input;

afterEach(cleanup);

describe("MoneyForm", () => {
  it("sends nothing while the amount is malformed, and says why next to it", () => {
    const execute = renderForm({ transaction: null, replayed: false, errors: [] });
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "1e3" } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    expect(execute).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Amount").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("Use digits and an optional decimal point, like 12.50.")).toBeTruthy();
  });

  it("sends the canonical amount and shows the server's refusal next to its field", async () => {
    const execute = renderForm({
      transaction: { id: "VHJhbnNhY3Rpb246OQ==", status: "FAILED" },
      replayed: false,
      errors: [{ code: "INSUFFICIENT_FUNDS", field: "amount", message: "Insufficient funds." }],
    });
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: " 5.5 " } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    expect(await screen.findByText("Not enough money in your wallet for this.")).toBeTruthy();
    expect(sentInput(execute, 0).amount).toBe("5.50");
    expect(screen.getByText(/recorded in your history as failed/)).toBeTruthy();
  });

  it("announces success and starts the next payment with a new key", async () => {
    const execute = renderForm({ transaction: { id: "VHJhbnNhY3Rpb246MQ==", status: "SUCCESS" }, replayed: false, errors: [] });
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    expect((await screen.findByRole("status")).textContent).toContain("Withdrew 5.");
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await screen.findByText("Withdrew 5.", { exact: false });
    expect(execute).toHaveBeenCalledTimes(2);
    expect(sentInput(execute, 1).idempotencyKey).not.toBe(sentInput(execute, 0).idempotencyKey);
  });
});
