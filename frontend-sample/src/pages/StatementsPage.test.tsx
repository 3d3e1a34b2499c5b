import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Provider, type Client } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromValue } from "wonka";

import { StatementSummary } from "./StatementsPage";

const PERIOD = {
  from: "2026-11-01T00:00:00.000Z",
  to: "2026-11-30T15:00:00.000Z",
  firstDay: "2026-11-01",
  lastDay: "2026-11-30",
};

const statement = (link: number) => ({
  statement: {
    from: PERIOD.from,
    to: PERIOD.to,
    currency: "USD",
    openingBalance: "0.00",
    closingBalance: "1120.00",
    totalIn: "1150.00",
    totalOut: "30.00",
    count: 3,
    csvUrl: `/statements/csv?sig=${link}`,
    pdfUrl: `/statements/pdf?sig=${link}`,
  },
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function renderSummary() {
  let links = 0;
  const executeQuery = vi.fn(() => fromValue({ data: statement(++links) }));
  const query = vi.fn(() => ({ toPromise: () => Promise.resolve({ data: statement(++links) }) }));
  render(
    <Provider value={{ executeQuery, query } as unknown as Client}>
      <StatementSummary period={PERIOD} />
    </Provider>,
  );
  return { executeQuery, query };
}

describe("StatementSummary", () => {
  it("shows the period's balances, totals and count", () => {
    renderSummary();
    expect(screen.getByTestId("statement-opening").textContent).toBe("0.00 USD");
    expect(screen.getByTestId("statement-in").textContent).toBe("1,150.00 USD");
    expect(screen.getByTestId("statement-out").textContent).toBe("30.00 USD");
    expect(screen.getByTestId("statement-closing").textContent).toBe("1,120.00 USD");
    expect(screen.getByTestId("statement-count").textContent).toBe("3");
  });

  it("asks for a fresh signed link on each click and downloads that one, not the link it was showing", async () => {
    const followed: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      followed.push(this.getAttribute("href")!);
    });
    const { query } = renderSummary();
    const csv = screen.getByRole("link", { name: "Download CSV" });
    expect(csv.getAttribute("href")).toBe("/statements/csv?sig=1");

    fireEvent.click(csv);
    await waitFor(() => expect(followed).toEqual(["/statements/csv?sig=2"]));
    fireEvent.click(screen.getByRole("link", { name: "Download PDF" }));
    await waitFor(() => expect(followed).toEqual(["/statements/csv?sig=2", "/statements/pdf?sig=3"]));

    expect(query).toHaveBeenCalledTimes(2);
    expect(query).toHaveBeenCalledWith(
      expect.anything(),
      { from: PERIOD.from, to: PERIOD.to },
      { requestPolicy: "network-only" },
    );
  });
});
