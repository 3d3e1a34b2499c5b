import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Provider, type Client } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromValue } from "wonka";

import type { StandingOrderFieldsFragment } from "../gql/graphql";
import { OrderItem } from "./StandingOrdersPage";

const ORDER: StandingOrderFieldsFragment = {
  id: "U3RhbmRpbmdPcmRlcjoz",
  receiver: "bob",
  amount: "25.00",
  currency: "USD",
  note: "rent",
  repeat: "MONTHLY",
  dayOfMonth: 31,
  firstRunAt: "2030-01-31T09:00:00Z",
  endsAt: null,
  maxOccurrences: 12,
  status: "ACTIVE",
  nextRunAt: "2030-03-31T09:00:00Z",
  createdAt: "2030-01-01T12:00:00Z",
  occurrences: {
    totalCount: 2,
    edges: [
      {
        node: {
          number: 2,
          dueAt: "2030-02-28T09:00:00Z",
          ranAt: "2030-02-28T09:00:01Z",
          status: "FAILED",
          failureCode: "INSUFFICIENT_FUNDS",
          transaction: { id: "VHJhbnNhY3Rpb246MTI=" },
        },
      },
      {
        node: {
          number: 1,
          dueAt: "2030-01-31T09:00:00Z",
          ranAt: "2030-01-31T09:00:01Z",
          status: "SUCCESS",
          failureCode: null,
          transaction: { id: "VHJhbnNhY3Rpb246MTE=" },
        },
      },
    ],
  },
};

function renderOrder(answers: object[], order = ORDER) {
  let call = 0;
  const executeMutation = vi.fn((operation: { query: { definitions: { name?: { value: string } }[] } }) => {
    const name = operation.query.definitions[0].name!.value;
    const field = name[0].toLowerCase() + name.slice(1);
    return fromValue({ data: { [field]: answers[Math.min(call++, answers.length - 1)] } });
  });
  const onDone = vi.fn();
  render(
    <Provider value={{ executeMutation } as unknown as Client}>
      <MemoryRouter>
        <OrderItem order={order} onDone={onDone} />
      </MemoryRouter>
    </Provider>,
  );
  return { executeMutation, onDone };
}

const sentTo = (mock: ReturnType<typeof renderOrder>["executeMutation"], call: number) => {
  const [operation] = mock.mock.calls[call] as unknown as [
    { query: { definitions: { name: { value: string } }[] }; variables: { id: string; idempotencyKey: string } },
  ];
  return { mutation: operation.query.definitions[0].name.value, ...operation.variables };
};

afterEach(cleanup);

describe("OrderItem", () => {
  it("shows the repeat, the next run, the end and each payment with its outcome in words", () => {
    renderOrder([]);
    expect(screen.getByRole("heading", { name: "25.00 USD to bob" })).toBeTruthy();
    expect(screen.getByText("Every month on day 31 (or the month's last day)")).toBeTruthy();
    expect(screen.getByText("After 12 payments")).toBeTruthy();
    const outcomes = screen.getAllByTestId("occurrence-status").map((cell) => cell.textContent);
    expect(outcomes).toEqual(["Failed: Not enough money in your wallet for this.", "Succeeded"]);
    expect(screen.getAllByRole("link").map((link) => link.getAttribute("href"))).toEqual([
      "/transactions/VHJhbnNhY3Rpb246MTI%3D",
      "/transactions/VHJhbnNhY3Rpb246MTE%3D",
    ]);
  });

  it("pauses at once, with a key", async () => {
    const { executeMutation, onDone } = renderOrder([{ standingOrder: { ...ORDER, status: "PAUSED" }, errors: [] }]);
    fireEvent.click(screen.getByRole("button", { name: /^Pause/ }));
    await waitFor(() =>
      expect(onDone).toHaveBeenCalledWith(expect.stringMatching(/^Paused the standing order of 25.00 USD to bob/)),
    );
    expect(sentTo(executeMutation, 0)).toEqual({
      mutation: "PauseStandingOrder",
      id: ORDER.id,
      idempotencyKey: expect.any(String),
    });
  });

  it("cancels only once confirmed, and shows the server's refusal", async () => {
    const { executeMutation, onDone } = renderOrder([
      { standingOrder: null, errors: [{ code: "STANDING_ORDER_NOT_FOUND", field: "id", message: "No such order." }] },
    ]);
    fireEvent.click(screen.getByRole("button", { name: /^Cancel/ }));
    expect(screen.getByText("Cancel the standing order of 25.00 USD to bob?")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Keep it" }));
    expect(executeMutation).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: /^Cancel/ }));
    fireEvent.click(screen.getByRole("button", { name: "Yes, cancel it" }));
    expect(await screen.findByText("That standing order doesn't exist.")).toBeTruthy();
    expect(sentTo(executeMutation, 0).mutation).toBe("CancelStandingOrder");
    expect(onDone).not.toHaveBeenCalled();
  });

  it("offers Resume on a paused order and nothing on a cancelled one", () => {
    renderOrder([], { ...ORDER, status: "PAUSED" });
    expect(screen.getByTestId("order-next-run").textContent).toBe("None while paused");
    expect(screen.getByRole("button", { name: /^Resume/ })).toBeTruthy();
    cleanup();
    renderOrder([], { ...ORDER, status: "CANCELLED", nextRunAt: null });
    expect(screen.queryByRole("button", { name: /^(Pause|Resume|Cancel)/ })).toBeNull();
  });
});
