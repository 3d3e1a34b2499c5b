import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { EMPTY_SEARCH } from "../history/search";
import { SearchFilters } from "./HistoryPage";

afterEach(cleanup);

function renderSearch(value = EMPTY_SEARCH) {
  const onApply = vi.fn();
  const view = render(<SearchFilters value={value} onApply={onApply} />);
  return { onApply, view };
}

describe("SearchFilters", () => {
  it("says an inverted range next to its end, focuses it, and sends nothing", () => {
    const { onApply } = renderSearch();
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2026-11-30" } });
    fireEvent.change(screen.getByLabelText("To"), { target: { value: "2026-11-01" } });
    fireEvent.change(screen.getByLabelText("Lowest amount"), { target: { value: "50" } });
    fireEvent.change(screen.getByLabelText("Highest amount"), { target: { value: "9.99" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));

    expect(onApply).not.toHaveBeenCalled();
    const to = screen.getByLabelText("To");
    expect(to).toHaveProperty("ariaInvalid", "true");
    expect(to.getAttribute("aria-describedby")).toBeTruthy();
    expect(document.getElementById(to.getAttribute("aria-describedby")!)?.textContent).toBe(
      "The end date is before the start date.",
    );
    expect(screen.getByText("The highest amount is below the lowest.")).toBeTruthy();
    expect(document.activeElement).toBe(to);
  });

  it("applies the whole search at once when it is sound", () => {
    const { onApply } = renderSearch();
    fireEvent.change(screen.getByLabelText("Counterparty"), { target: { value: "bob" } });
    fireEvent.change(screen.getByLabelText("Note contains"), { target: { value: "rent" } });
    fireEvent.change(screen.getByLabelText("Lowest amount"), { target: { value: "10" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    expect(onApply).toHaveBeenCalledWith({ ...EMPTY_SEARCH, counterparty: "bob", note: "rent", min: "10" });
  });

  it("shows what the URL applies, and clears it all with one button", () => {
    const { onApply, view } = renderSearch({ ...EMPTY_SEARCH, note: "rent" });
    expect(screen.getByLabelText("Note contains")).toHaveProperty("value", "rent");
    fireEvent.click(screen.getByRole("button", { name: "Clear search" }));
    expect(onApply).toHaveBeenCalledWith(EMPTY_SEARCH);
    // The URL changed (back, forward, clear): the form follows it.
    view.rerender(<SearchFilters value={EMPTY_SEARCH} onApply={onApply} />);
    expect(screen.getByLabelText("Note contains")).toHaveProperty("value", "");
    expect(screen.queryByRole("button", { name: "Clear search" })).toBeNull();
  });
});
