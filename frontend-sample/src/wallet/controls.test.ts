import { describe, expect, it } from "vitest";

import { limitWarnings, percentUsed, setBy } from "./controls";

const period = (limit: string, used: string, remaining: string) => ({
  limit,
  used,
  remaining,
  resetsAt: "2030-01-02T00:00:00Z",
});

describe("limitWarnings", () => {
  const limits = { daily: period("100.00", "70.00", "30.00"), monthly: period("500.00", "480.00", "20.00"), perTransaction: "25.00" };

  it("says nothing within every limit, or with no limits", () => {
    expect(limitWarnings("20.00", limits, "USD")).toEqual([]);
    expect(limitWarnings("1000000", { daily: null, monthly: null, perTransaction: null }, "USD")).toEqual([]);
    expect(limitWarnings("5", null, "USD")).toEqual([]);
  });

  it("compares exactly: what remains is still allowed, a cent more is not", () => {
    expect(limitWarnings("30.00", { daily: limits.daily }, "USD")).toEqual([]);
    expect(limitWarnings("30.01", { daily: limits.daily }, "USD")).toEqual([
      "This is more than the 30.00 USD left of your daily limit today.",
    ]);
  });

  it("names every limit the amount passes", () => {
    expect(limitWarnings("40", limits, "USD")).toEqual([
      "This is more than the 25.00 USD you can send in one payment.",
      "This is more than the 30.00 USD left of your daily limit today.",
      "This is more than the 20.00 USD left of your monthly limit this month.",
    ]);
  });
});

describe("percentUsed and setBy", () => {
  it("fills the bar by what is used, within 0 and 100", () => {
    expect(percentUsed(period("200.00", "50.00", "150.00"))).toBe(25);
    expect(percentUsed(period("10.00", "12.00", "0.00"))).toBe(100);
    expect(percentUsed(period("0.00", "0.00", "0.00"))).toBe(100);
  });

  it("says who set a freeze", () => {
    expect(setBy({ setByStaff: true })).toBe("Set by our staff");
    expect(setBy({ setByStaff: false })).toBe("Set by you");
  });
});
