import { describe, expect, it } from "vitest";

import { periodFor } from "./period";

const local = (year: number, month: number, day: number, hour = 0) => new Date(year, month - 1, day, hour);
const NOW = local(2026, 11, 30, 15);

describe("periodFor", () => {
  it("this month: from its first midnight until now", () => {
    expect(periodFor("this-month", NOW)).toEqual({
      ok: true,
      period: {
        from: local(2026, 11, 1).toISOString(),
        to: NOW.toISOString(),
        firstDay: "2026-11-01",
        lastDay: "2026-11-30",
      },
    });
  });

  it("last month: whole, to the midnight that starts this one (exclusive), across a year end too", () => {
    expect(periodFor("last-month", NOW)).toEqual({
      ok: true,
      period: {
        from: local(2026, 10, 1).toISOString(),
        to: local(2026, 11, 1).toISOString(),
        firstDay: "2026-10-01",
        lastDay: "2026-10-31",
      },
    });
    const january = periodFor("last-month", local(2027, 1, 15));
    expect(january.ok && [january.period.firstDay, january.period.lastDay]).toEqual(["2026-12-01", "2026-12-31"]);
  });

  it("custom: whole days, the last one included; one that has not ended ends now", () => {
    expect(periodFor("custom", NOW, { from: "2026-11-02", to: "2026-11-03" })).toEqual({
      ok: true,
      period: {
        from: local(2026, 11, 2).toISOString(),
        to: local(2026, 11, 4).toISOString(),
        firstDay: "2026-11-02",
        lastDay: "2026-11-03",
      },
    });
    const untilNextWeek = periodFor("custom", NOW, { from: "2026-11-20", to: "2026-12-07" });
    expect(untilNextWeek.ok && untilNextWeek.period).toMatchObject({ to: NOW.toISOString(), lastDay: "2026-11-30" });
  });

  it("custom: says what is missing or wrong next to the day it is about", () => {
    expect(periodFor("custom", NOW, { from: "", to: "" })).toEqual({
      ok: false,
      errors: { from: "Enter the first day.", to: "Enter the last day." },
    });
    expect(periodFor("custom", NOW, { from: "2026-11-30", to: "2026-11-01" })).toEqual({
      ok: false,
      errors: { to: "The last day is before the first day." },
    });
    expect(periodFor("custom", NOW, { from: "2025-01-01", to: "2026-01-02" })).toEqual({
      ok: false,
      errors: { to: "A statement covers at most 366 days." },
    });
    expect(periodFor("custom", NOW, { from: "2025-01-01", to: "2026-01-01" }).ok).toBe(true);
    expect(periodFor("custom", NOW, { from: "2026-12-01", to: "2026-12-31" })).toEqual({
      ok: false,
      errors: { from: "The first day is in the future." },
    });
  });
});
