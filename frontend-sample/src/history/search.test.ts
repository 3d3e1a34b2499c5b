import { describe, expect, it } from "vitest";

import { daysIncluded, endOfDay, startOfDay } from "./days";
import { checkSearch, EMPTY_SEARCH, searchFromParams, searchVariables, withSearch } from "./search";

const local = (year: number, month: number, day: number) => new Date(year, month - 1, day).toISOString();

describe("days", () => {
  it("reads a date input's day as the local midnight it starts at, and the one after", () => {
    expect(startOfDay("2026-11-30")?.toISOString()).toBe(local(2026, 11, 30));
    expect(endOfDay("2026-11-30")?.toISOString()).toBe(local(2026, 12, 1));
    expect(endOfDay("2026-12-31")?.toISOString()).toBe(local(2027, 1, 1));
  });

  it.each(["", "2026-02-30", "2026-13-01", "30/11/2026", "2026-11-30T00:00"])("refuses %j", (day) => {
    expect(startOfDay(day)).toBeNull();
  });

  it("counts days on the calendar, both ends included", () => {
    expect(daysIncluded("2026-11-30", "2026-11-30")).toBe(1);
    expect(daysIncluded("2026-03-01", "2026-03-31")).toBe(31);
    expect(daysIncluded("2024-01-01", "2024-12-31")).toBe(366);
  });
});

describe("search in the URL", () => {
  it("reads the search and writes it back, keeping the other filters and dropping empty values", () => {
    const params = new URLSearchParams("kind=TRANSFER&from=2026-11-01&note=+rent+&direction=OUT");
    const values = searchFromParams(params);
    expect(values).toEqual({ ...EMPTY_SEARCH, from: "2026-11-01", note: "rent" });
    const next = withSearch(params, { ...values, from: "", counterparty: "bob", max: "50" });
    expect(Object.fromEntries(next)).toEqual({
      kind: "TRANSFER",
      direction: "OUT",
      note: "rent",
      counterparty: "bob",
      max: "50",
    });
  });
});

describe("checkSearch", () => {
  it("accepts an empty search and a sensible one", () => {
    expect(checkSearch(EMPTY_SEARCH)).toEqual({});
    const search = { from: "2026-11-01", to: "2026-11-01", min: "10", max: "10.00", counterparty: "bob", note: "rent" };
    expect(checkSearch(search)).toEqual({});
  });

  it("puts an inverted range next to its end", () => {
    expect(checkSearch({ ...EMPTY_SEARCH, from: "2026-11-30", to: "2026-11-01" })).toEqual({
      to: "The end date is before the start date.",
    });
    // As amounts, not as text: 9.99 is below 10, so 10 to 9.99 is inverted, and 9.99 to 10 is not.
    expect(checkSearch({ ...EMPTY_SEARCH, min: "10", max: "9.99" })).toEqual({
      max: "The highest amount is below the lowest.",
    });
    expect(checkSearch({ ...EMPTY_SEARCH, min: "9.99", max: "10" })).toEqual({});
  });

  it("says what is wrong with an amount, a date or a note, by field", () => {
    expect(
      checkSearch({ ...EMPTY_SEARCH, min: "-5", max: "1.234", from: "2026-02-30", note: "x".repeat(101) }),
    ).toEqual({
      min: "Use digits and an optional decimal point, like 12.50.",
      max: "Use at most 2 digits after the decimal point.",
      from: "Enter a date, like 2026-11-30.",
      note: "Use at most 100 characters.",
    });
  });
});

describe("searchVariables", () => {
  it("sends whole local days (to exclusive), canonical amounts and nulls for what is not set", () => {
    expect(
      searchVariables({ ...EMPTY_SEARCH, from: "2026-11-01", to: "2026-11-30", min: "10.5", note: "rent" }),
    ).toEqual({
      createdFrom: local(2026, 11, 1),
      createdTo: local(2026, 12, 1),
      minAmount: "10.50",
      maxAmount: null,
      counterparty: null,
      noteContains: "rent",
    });
  });

  it("sends what it cannot read as it is, for the server to explain", () => {
    const variables = searchVariables({ ...EMPTY_SEARCH, from: "yesterday", max: "-1" });
    expect(variables.createdFrom).toBe("yesterday");
    expect(variables.maxAmount).toBe("-1");
  });
});
