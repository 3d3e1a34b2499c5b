/**
 * The dashboard's balance-over-time chart: the points come from the ledger (`balanceHistory`, one a UTC day,
 * oldest first, the last one the balance now), so nothing is reconstructed here. This only shapes them for the
 * chart and sums them up in words for those who cannot see it.
 */
import { compareAmounts, formatMoney } from "../money/amount";

export interface BalancePoint {
  at: string;
  balance: string;
}

export const PERIOD_DAYS = [30, 90, 365] as const;
export type PeriodDays = (typeof PERIOD_DAYS)[number];

/**
 * The UTC day a point closes: "Nov 29" for a past day's point, which the API stamps at its end (the next
 * midnight, 2026-11-30T00:00Z), and today's date for the last point (the balance now).
 */
export function pointDay(at: string): string {
  const closing = new Date(Date.parse(at) - 1);
  return closing.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

/** What the chart plots: a number is only for drawing; every figure shown as text stays the exact string. */
export function chartData(points: readonly BalancePoint[]) {
  return points.map((point) => ({ ...point, day: pointDay(point.at), value: Number(point.balance) }));
}

export interface BalanceSummary {
  first: BalancePoint;
  last: BalancePoint;
  /** The earliest point with the lowest balance. */
  lowest: BalancePoint;
  /** The earliest point with the highest balance. */
  highest: BalancePoint;
}

export function summarize(points: readonly BalancePoint[]): BalanceSummary | null {
  if (points.length === 0) return null;
  let lowest = points[0];
  let highest = points[0];
  for (const point of points) {
    if (compareAmounts(point.balance, lowest.balance) < 0) lowest = point;
    if (compareAmounts(point.balance, highest.balance) > 0) highest = point;
  }
  return { first: points[0], last: points[points.length - 1], lowest, highest };
}

/** The chart in one sentence, for its accessible name. */
export function describe(summary: BalanceSummary, currency: string, days: number): string {
  const money = (point: BalancePoint) => formatMoney(point.balance, currency);
  return (
    `Balance over the last ${days} days: ${money(summary.first)} on ${pointDay(summary.first.at)}, ` +
    `${money(summary.last)} now. Lowest ${money(summary.lowest)} on ${pointDay(summary.lowest.at)}, ` +
    `highest ${money(summary.highest)} on ${pointDay(summary.highest.at)}.`
  );
}

/** A short axis label for a balance ("1.2K"); the exact figures are in the summary and the tooltip. */
export function axisAmount(value: number): string {
  return new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(value);
}
