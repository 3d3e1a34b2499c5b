import { describe, expect, it } from "vitest";

import {
  checkOrderForm,
  describeRepeat,
  endOfLocalDay,
  nextOrderPollDelay,
  parseLocalDateTime,
  toLocalInput,
  type OrderFormValues,
} from "./schedules";

const VALUES: OrderFormValues = {
  receiver: "bob",
  amount: "25",
  note: "rent",
  firstRunAt: "2031-01-31T09:00",
  repeat: "MONTHLY",
  dayOfMonth: "",
  ends: "never",
  endDate: "",
  count: "",
};

describe("checkOrderForm", () => {
  it("sends the first run as an instant, and no end", () => {
    expect(checkOrderForm(VALUES)).toEqual({
      ok: true,
      input: {
        receiverUsername: "bob",
        mobileNumber: null,
        amount: "25",
        note: "rent",
        firstRunAt: new Date(2031, 0, 31, 9, 0).toISOString(),
        repeat: "MONTHLY",
        dayOfMonth: null,
        endsAt: null,
        maxOccurrences: null,
      },
    });
  });

  it("sends a day of the month, and an end date as the end of that day", () => {
    const check = checkOrderForm({ ...VALUES, dayOfMonth: "31", ends: "date", endDate: "2031-06-30" });
    expect(check).toMatchObject({
      ok: true,
      input: { dayOfMonth: 31, endsAt: new Date(2031, 6, 1).toISOString(), maxOccurrences: null },
    });
  });

  it("sends a number of payments, and ignores the end and the day when they don't apply", () => {
    expect(checkOrderForm({ ...VALUES, repeat: "WEEKLY", dayOfMonth: "99", ends: "count", count: "4" })).toMatchObject({
      ok: true,
      input: { repeat: "WEEKLY", dayOfMonth: null, endsAt: null, maxOccurrences: 4 },
    });
    expect(checkOrderForm({ ...VALUES, repeat: "NONE", ends: "count", count: "0" })).toMatchObject({
      ok: true,
      input: { repeat: "NONE", maxOccurrences: null },
    });
  });

  it("refuses an end before the start, fewer than one payment, and a day that no month has", () => {
    expect(checkOrderForm({ ...VALUES, ends: "date", endDate: "2031-01-30" })).toEqual({
      ok: false,
      errors: { endDate: "The end can't be before the first payment." },
    });
    expect(checkOrderForm({ ...VALUES, ends: "count", count: "0" })).toEqual({
      ok: false,
      errors: { count: "Enter a whole number of payments, 1 or more." },
    });
    expect(checkOrderForm({ ...VALUES, dayOfMonth: "32" })).toEqual({
      ok: false,
      errors: { dayOfMonth: "Enter a day from 1 to 31." },
    });
  });

  it("asks for a receiver, an amount and a first run", () => {
    expect(checkOrderForm({ ...VALUES, receiver: "", amount: "0", firstRunAt: "" })).toEqual({
      ok: false,
      errors: {
        receiver: "Enter a username or a mobile number.",
        amount: "Enter an amount greater than zero.",
        firstRunAt: "Enter the date and time of the first payment.",
      },
    });
  });
});

describe("local dates", () => {
  it("reads a datetime-local value with or without seconds, and writes one back", () => {
    const date = new Date(2031, 1, 3, 4, 5, 6);
    expect(parseLocalDateTime("2031-02-03T04:05:06")).toEqual(date);
    expect(parseLocalDateTime("2031-02-03T04:05")).toEqual(new Date(2031, 1, 3, 4, 5));
    expect(toLocalInput(date)).toBe("2031-02-03T04:05:06");
    expect(parseLocalDateTime("2031-02-30T04:05")).toBeNull();
    expect(endOfLocalDay("2031-02-28")).toEqual(new Date(2031, 2, 1));
    expect(endOfLocalDay("31/12/2031")).toBeNull();
  });
});

describe("describeRepeat", () => {
  it("names the repeat, and says what a short month does", () => {
    expect(describeRepeat("DAILY", null)).toBe("Every day");
    expect(describeRepeat("MONTHLY", 15)).toBe("Every month on day 15");
    expect(describeRepeat("MONTHLY", 31)).toBe("Every month on day 31 (or the month's last day)");
  });
});

describe("nextOrderPollDelay", () => {
  const now = Date.parse("2031-01-01T12:00:00Z");
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();

  it("looks again a second after the soonest active order is due", () => {
    const orders = [
      { status: "ACTIVE" as const, nextRunAt: at(5) },
      { status: "PAUSED" as const, nextRunAt: at(2) },
      { status: "ACTIVE" as const, nextRunAt: at(30) },
    ];
    expect(nextOrderPollDelay(orders, now)).toBe(6000);
    expect(nextOrderPollDelay([{ status: "ACTIVE", nextRunAt: at(-3) }], now)).toBe(1000);
  });

  it("does not poll for orders due later than a minute, long overdue, or without a next run", () => {
    expect(nextOrderPollDelay([{ status: "ACTIVE", nextRunAt: at(3600) }], now)).toBeNull();
    expect(nextOrderPollDelay([{ status: "ACTIVE", nextRunAt: at(-600) }], now)).toBeNull();
    expect(nextOrderPollDelay([{ status: "COMPLETED", nextRunAt: null }], now)).toBeNull();
  });
});
