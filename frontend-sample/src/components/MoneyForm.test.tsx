import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
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
    // The status region is always there (a live region must exist before it speaks): wait for its words.
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("Withdrew 5."));
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await screen.findByText("Withdrew 5.", { exact: false });
    expect(execute).toHaveBeenCalledTimes(2);
    expect(sentInput(execute, 1).idempotencyKey).not.toBe(sentInput(execute, 0).idempotencyKey);
  });
});

/** A withdraw form with a reference and metadata; each call of the mutation answers with the next of `answers`. */
function renderTagsForm(...answers: (object | null)[]) {
  let call = 0;
  const executeMutation = vi.fn(() => {
    const answer = answers[Math.min(call++, answers.length - 1)];
    return fromValue(answer ? { data: { withdraw: answer } } : {});
  });
  const client = { executeMutation } as unknown as Client;
  render(
    <Provider value={client}>
      <MemoryRouter>
        <MoneyForm
          withTags
          fields={[{ name: "amount", label: "Amount", kind: "amount", required: true }]}
          submitLabel="Withdraw"
          mutation={Withdraw}
          variables={(values, idempotencyKey, tags) => ({ input: { amount: values.amount, idempotencyKey, ...tags } })}
          payload={(data) => data.withdraw}
          success={(values) => `Withdrew ${values.amount}.`}
        />
      </MemoryRouter>
    </Provider>,
  );
  return executeMutation;
}

type SentInput = { amount: string; idempotencyKey: string; reference: string | null; metadata: unknown };
const sentTags = (mock: ReturnType<typeof renderTagsForm>, call: number) =>
  (mock.mock.calls[call] as unknown as [{ variables: { input: SentInput } }])[0].variables.input;

const DONE = { transaction: { id: "VHJhbnNhY3Rpb246MQ==", status: "SUCCESS" }, replayed: false, errors: [] };

function fillMetadata(row: number, key: string, value: string) {
  fireEvent.change(screen.getByLabelText(`Key ${row}`), { target: { value: key } });
  fireEvent.change(screen.getByLabelText(`Value ${row}`), { target: { value: value } });
}

describe("MoneyForm with a reference and metadata", () => {
  it("sends null for both when left empty", async () => {
    const execute = renderTagsForm(DONE);
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await screen.findByText("Withdrew 5.", { exact: false });
    expect(sentTags(execute, 0)).toMatchObject({ reference: null, metadata: null });
  });

  it("sends the trimmed reference and the metadata rows as an object, then clears them", async () => {
    const execute = renderTagsForm(DONE);
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.change(screen.getByLabelText("Reference"), { target: { value: " ORDER-7 " } });
    fireEvent.click(screen.getByRole("button", { name: "Add a field" }));
    fillMetadata(1, "order_id", "7");
    fireEvent.click(screen.getByRole("button", { name: "Add a field" }));
    fillMetadata(2, "channel", " web ");
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await screen.findByText("Withdrew 5.", { exact: false });
    expect(sentTags(execute, 0)).toMatchObject({
      amount: "5",
      reference: "ORDER-7",
      metadata: { order_id: "7", channel: "web" },
    });
    expect((screen.getByLabelText("Reference") as HTMLInputElement).value).toBe("");
    expect(screen.queryByLabelText("Key 1")).toBeNull();
  });

  it("keeps the key for a retry of the same payment, and makes a new one when the reference changes", async () => {
    const execute = renderTagsForm(null, null, DONE);
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.change(screen.getByLabelText("Reference"), { target: { value: "A-1" } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await screen.findByText(/we don't know whether this went through/);
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await waitFor(() => expect(execute).toHaveBeenCalledTimes(2));
    expect(sentTags(execute, 1).idempotencyKey).toBe(sentTags(execute, 0).idempotencyKey);

    fireEvent.change(screen.getByLabelText("Reference"), { target: { value: "A-2" } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await screen.findByText("Withdrew 5.", { exact: false });
    expect(sentTags(execute, 2).reference).toBe("A-2");
    expect(sentTags(execute, 2).idempotencyKey).not.toBe(sentTags(execute, 0).idempotencyKey);
  });

  it("makes a new key when a metadata value changes", async () => {
    const execute = renderTagsForm(null, DONE);
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Add a field" }));
    fillMetadata(1, "k", "1");
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await screen.findByText(/we don't know whether this went through/);
    fillMetadata(1, "k", "2");
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await screen.findByText("Withdrew 5.", { exact: false });
    expect(sentTags(execute, 1).metadata).toEqual({ k: "2" });
    expect(sentTags(execute, 1).idempotencyKey).not.toBe(sentTags(execute, 0).idempotencyKey);
  });

  it("shows a used reference next to the reference field, and focuses it", async () => {
    renderTagsForm({
      transaction: { id: "VHJhbnNhY3Rpb246Mg==", status: "FAILED" },
      replayed: false,
      errors: [{ code: "REFERENCE_ALREADY_USED", field: "reference", message: "This reference is already used." }],
    });
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.change(screen.getByLabelText("Reference"), { target: { value: "ORDER-7" } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    const message = await screen.findByText("You already made a payment with this reference.");
    const input = screen.getByLabelText("Reference");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toContain(message.id);
    await waitFor(() => expect(document.activeElement).toBe(input));
  });

  it("sends nothing while a metadata key is malformed, and marks that key", async () => {
    const execute = renderTagsForm(DONE);
    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Add a field" }));
    fillMetadata(1, "ok", "1");
    fireEvent.click(screen.getByRole("button", { name: "Add a field" }));
    fillMetadata(2, "order id", "2");
    fireEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    expect(execute).not.toHaveBeenCalled();
    const key = screen.getByLabelText("Key 2");
    expect(key.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByLabelText("Key 1").getAttribute("aria-invalid")).toBeNull();
    expect(screen.getByText("Use only letters, digits and _ . : - in a key (no spaces).")).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(key));
  });

  it("moves focus to a new row's key, and back to “Add a field” when the last row goes", async () => {
    renderTagsForm(DONE);
    const add = screen.getByRole("button", { name: "Add a field" });
    fireEvent.click(add);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Key 1")));
    fireEvent.click(screen.getByRole("button", { name: "Remove field 1" }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Add a field" })));
    for (let row = 0; row < 5; row += 1) fireEvent.click(screen.getByRole("button", { name: "Add a field" }));
    expect(screen.getByLabelText("Key 5")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Add a field" })).toBeNull();
  });
});
