import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Provider, type Client } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromValue, never } from "wonka";

import type { WalletControlsFragment } from "../gql/graphql";
import { SecurityPage } from "../pages/SecurityPage";
import { FreezeBanner } from "./Freezes";

const OWN = {
  id: "V2FsbGV0RnJlZXplOjE=",
  scope: "DEBITS" as const,
  reasonCode: "CUSTOMER_REQUEST" as const,
  note: "lost my phone",
  setByStaff: false,
  createdAt: "2030-01-01T12:00:00Z",
};
const STAFF = {
  id: "V2FsbGV0RnJlZXplOjI=",
  scope: "CREDITS" as const,
  reasonCode: "COMPLIANCE_REVIEW" as const,
  note: "",
  setByStaff: true,
  createdAt: "2030-01-01T13:00:00Z",
};

const wallet = (freezes: WalletControlsFragment["freezes"], frozenFor: WalletControlsFragment["frozenFor"]) => ({
  id: "V2FsbGV0OjE=",
  frozenFor,
  freezes,
});

function renderWith(ui: React.ReactNode, answers: object[] = [], walletNow = wallet([], null)) {
  let call = 0;
  const executeMutation = vi.fn((operation: { query: { definitions: { name?: { value: string } }[] } }) => {
    const name = operation.query.definitions.find((definition) => definition.name)!.name!.value;
    const field = name[0].toLowerCase() + name.slice(1);
    return fromValue({ data: { [field]: answers[Math.min(call++, answers.length - 1)] } });
  });
  const executeQuery = vi.fn(() => fromValue({ data: { wallet: walletNow } }));
  render(
    <Provider value={{ executeMutation, executeQuery, executeSubscription: () => never } as unknown as Client}>
      <MemoryRouter>{ui}</MemoryRouter>
    </Provider>,
  );
  return executeMutation;
}

const variables = (mock: ReturnType<typeof renderWith>, call: number) =>
  (mock.mock.calls[call] as unknown as [{ variables: Record<string, unknown> }])[0].variables;

afterEach(cleanup);

describe("FreezeBanner", () => {
  it("says nothing while the wallet is not frozen", () => {
    renderWith(<FreezeBanner wallet={wallet([], null)} />);
    expect(screen.queryByTestId("frozen-banner")).toBeNull();
  });

  it("says what is frozen, why and by whom; the owner's own freeze has Unfreeze, staff's says to contact support", () => {
    renderWith(<FreezeBanner wallet={wallet([OWN, STAFF], "ALL")} />);
    expect(screen.getByRole("heading", { name: "Your wallet is frozen: no money can leave or arrive in it." })).toBeTruthy();
    const [own, staff] = screen.getAllByTestId("freeze");
    expect(own.textContent).toContain("Sending");
    expect(own.textContent).toContain("You asked for it: “lost my phone”");
    expect(own.textContent).toContain("Set by you");
    expect(own.querySelector("button")?.textContent).toBe("Unfreeze sending");
    expect(staff.textContent).toContain("A compliance review");
    expect(staff.textContent).toContain("Set by our staff");
    expect(staff.textContent).toContain("contact support");
    expect(staff.querySelector("button")).toBeNull();
  });

  it("lifts the owner's freeze with an idempotency key, and shows a refusal in words", async () => {
    const execute = renderWith(<FreezeBanner wallet={wallet([OWN], "DEBITS")} />, [
      { wallet: null, errors: [{ code: "FREEZE_NOT_FOUND", field: "freezeId", message: "Not found." }] },
    ]);
    fireEvent.click(screen.getByRole("button", { name: "Unfreeze sending" }));
    expect(await screen.findByText("That freeze is not yours to lift, or it was already lifted.")).toBeTruthy();
    expect(variables(execute, 0)).toEqual({ id: OWN.id, idempotencyKey: expect.any(String) });
  });
});

describe("SecurityPage", () => {
  it("asks before freezing, then freezes with the chosen scope, the note and a key", async () => {
    const execute = renderWith(<SecurityPage />, [
      { wallet: wallet([OWN], "ALL"), freeze: { id: OWN.id }, errors: [] },
    ]);
    await screen.findByText("Your wallet is not frozen.");
    fireEvent.click(screen.getByLabelText("Sending and receiving"));
    fireEvent.change(screen.getByLabelText("Note"), { target: { value: " card stolen " } });
    fireEvent.click(screen.getByRole("button", { name: "Freeze my wallet" }));
    expect(execute).not.toHaveBeenCalled();
    expect(screen.getByText("Freeze your wallet for sending and receiving?")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Yes, freeze it" }));
    await waitFor(() =>
      expect(screen.getByRole("status").textContent).toBe("Your wallet is frozen for sending and receiving."),
    );
    expect(variables(execute, 0)).toEqual({
      input: { scope: "ALL", note: "card stolen", idempotencyKey: expect.any(String) },
    });
  });
});
