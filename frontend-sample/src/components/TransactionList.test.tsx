import { cleanup, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it } from "vitest";

import type { TransactionRowFragment } from "../gql/graphql";
import { TransactionList } from "./TransactionList";

const ROW: TransactionRowFragment = {
  id: "VHJhbnNhY3Rpb246MQ==",
  kind: "TRANSFER",
  status: "SUCCESS",
  amount: "20.00",
  fee: "0.00",
  currency: "USD",
  createdAt: "2030-01-01T12:00:00Z",
  failureCode: null,
  holdState: null,
  note: "",
  reference: null,
  sender: { username: "ann" },
  receiver: { username: "bob" },
};

afterEach(cleanup);

describe("TransactionList", () => {
  it("shows a fee only when one was charged", () => {
    render(
      <MemoryRouter>
        <TransactionList transactions={[{ ...ROW, fee: "0.50" }, { ...ROW, id: "VHJhbnNhY3Rpb246Mg==" }]} viewer="ann" />
      </MemoryRouter>,
    );
    const [charged, free] = screen.getAllByRole("listitem");
    expect(charged.textContent).toContain("−20.00 USD");
    expect(charged.textContent).toContain("Fee 0.50");
    expect(free.textContent).not.toContain("Fee");
  });
});
