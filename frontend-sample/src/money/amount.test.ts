import { describe, expect, it } from "vitest";

import { checkAmount, compareAmounts, formatAmount, formatMoney } from "./amount";

describe("checkAmount", () => {
  it.each([
    ["10", "10"],
    ["10.5", "10.50"],
    ["10.50", "10.50"],
    [" 7.25 ", "7.25"],
    ["0.01", "0.01"],
    ["007.10", "7.10"],
    ["1.", "1"],
  ])("accepts %j as %j", (raw, amount) => {
    expect(checkAmount(raw)).toEqual({ ok: true, amount });
  });

  it.each([
    ["", "Enter an amount."],
    ["   ", "Enter an amount."],
    ["0", "Enter an amount greater than zero."],
    ["0.00", "Enter an amount greater than zero."],
    ["-5", "Use digits and an optional decimal point, like 12.50."],
    ["1e3", "Use digits and an optional decimal point, like 12.50."],
    ["1,000", "Use digits and an optional decimal point, like 12.50."],
    ["NaN", "Use digits and an optional decimal point, like 12.50."],
    ["Infinity", "Use digits and an optional decimal point, like 12.50."],
    [".5", "Use digits and an optional decimal point, like 12.50."],
    ["１０", "Use digits and an optional decimal point, like 12.50."],
    ["12.345", "Use at most 2 digits after the decimal point."],
    ["1234567890123", "That amount is too large."],
  ])("refuses %j: %s", (raw, message) => {
    expect(checkAmount(raw)).toEqual({ ok: false, message });
  });

  it("follows the currency's decimals", () => {
    expect(checkAmount("5.5", 0)).toEqual({ ok: false, message: "Use at most 0 digits after the decimal point." });
    expect(checkAmount("5.125", 3)).toEqual({ ok: true, amount: "5.125" });
  });
});

describe("formatAmount", () => {
  it.each([
    ["0", "0.00"],
    ["5", "5.00"],
    ["1234.5", "1,234.50"],
    ["1000000.00", "1,000,000.00"],
    ["-30.00", "-30.00"],
    // Exact beyond a float's precision: formatted as text, never through Number.
    ["90071992547409931.01", "90,071,992,547,409,931.01"],
  ])("formats %j as %j", (amount, formatted) => {
    expect(formatAmount(amount)).toBe(formatted);
  });

  it("adds the currency", () => {
    expect(formatMoney("12.5", "USD")).toBe("12.50 USD");
  });
});

describe("compareAmounts", () => {
  it.each([
    ["1.00", "1", 0],
    ["9.99", "10.00", -1],
    ["100.00", "99.99", 1],
    ["0.5", "0.45", 1],
    ["-1.00", "0.00", -1],
    ["-2.00", "-1.00", -1],
    ["-0.00", "0", 0],
    ["007.1", "7.10", 0],
  ])("%s vs %s: %i", (a, b, sign) => {
    expect(Math.sign(compareAmounts(a, b))).toBe(sign);
    expect(Math.sign(compareAmounts(b, a))).toBe(-sign || 0);
  });
});
