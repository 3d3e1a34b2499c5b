import { describe as group, expect, it } from "vitest";

import { axisAmount, chartData, describe, pointDay, summarize } from "./balance";

const POINTS = [
  { at: "2026-11-27T23:59:59Z", balance: "0.00" },
  { at: "2026-11-28T23:59:59Z", balance: "150.00" },
  { at: "2026-11-29T23:59:59Z", balance: "9.99" },
  { at: "2026-11-30T15:00:00Z", balance: "150.00" },
  { at: "2026-11-30T16:00:00Z", balance: "120.50" },
];

group("summarize", () => {
  it("finds the first, last, lowest and highest points, comparing the exact decimals", () => {
    expect(summarize(POINTS)).toEqual({
      first: POINTS[0],
      last: POINTS[4],
      lowest: POINTS[0],
      // 150.00 twice: the earliest wins.
      highest: POINTS[1],
    });
  });

  it("compares as decimals, not as text (9.99 < 10.00 < 100.00)", () => {
    const points = [
      { at: "2026-11-28T00:00:00Z", balance: "10.00" },
      { at: "2026-11-29T00:00:00Z", balance: "9.99" },
      { at: "2026-11-30T00:00:00Z", balance: "100.00" },
    ];
    const summary = summarize(points)!;
    expect(summary.lowest.balance).toBe("9.99");
    expect(summary.highest.balance).toBe("100.00");
  });

  it("has nothing to say about no points, and one point is all four", () => {
    expect(summarize([])).toBeNull();
    const only = { at: "2026-11-30T00:00:00Z", balance: "5.00" };
    expect(summarize([only])).toEqual({ first: only, last: only, lowest: only, highest: only });
  });
});

group("pointDay", () => {
  const day = (iso: string) =>
    new Date(iso).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

  it("names the UTC day a point closes: a midnight point is the day before's end, the last point is today", () => {
    expect(pointDay("2026-11-30T00:00:00Z")).toBe(day("2026-11-29T12:00:00Z"));
    expect(pointDay("2026-11-30T15:00:00Z")).toBe(day("2026-11-30T12:00:00Z"));
    expect(pointDay("2026-12-01T00:00:00+00:00")).toBe(day("2026-11-30T12:00:00Z"));
  });
});

group("chartData", () => {
  it("keeps each point's exact balance and adds its UTC day and a number to plot", () => {
    const [first, , , , last] = chartData(POINTS);
    expect(first).toMatchObject({ balance: "0.00", value: 0 });
    expect(last).toMatchObject({ at: "2026-11-30T16:00:00Z", balance: "120.50", value: 120.5 });
    expect(last.day).toBe(
      new Date("2026-11-30T12:00:00Z").toLocaleDateString(undefined, { month: "short", day: "numeric" }),
    );
  });
});

group("describe", () => {
  it("says the chart in one sentence with the exact amounts", () => {
    const text = describe(summarize(POINTS)!, "USD", 30);
    expect(text).toMatch(/^Balance over the last 30 days: 0\.00 USD on .+, 120\.50 USD now\./);
    expect(text).toContain("Lowest 0.00 USD on");
    expect(text).toContain("highest 150.00 USD on");
  });
});

group("axisAmount", () => {
  it("shortens large figures for the axis", () => {
    expect(axisAmount(0)).toBe("0");
    expect(axisAmount(1500)).toMatch(/^1\.5\s?K$/);
  });
});
