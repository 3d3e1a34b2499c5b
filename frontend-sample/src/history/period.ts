/**
 * A statement's period: this month, last month, or whole days from/to, in the browser's time zone. The API
 * takes `from` (inclusive) and `to` (exclusive) moments; a period that has not ended yet ends now, so a
 * statement never claims a closing balance for the future.
 */
import { dayOf, daysIncluded, endOfDay, startOfDay } from "./days";

export type PeriodChoice = "this-month" | "last-month" | "custom";

export const PERIOD_LABELS: Record<PeriodChoice, string> = {
  "this-month": "This month",
  "last-month": "Last month",
  custom: "Custom",
};

/** The API refuses a longer period. */
export const MAX_PERIOD_DAYS = 366;

export interface Period {
  /** Inclusive, as an ISO string for the API. */
  from: string;
  /** Exclusive, as an ISO string for the API. */
  to: string;
  /** The first and last day shown to the user, "YYYY-MM-DD". */
  firstDay: string;
  lastDay: string;
}

export type PeriodCheck = { ok: true; period: Period } | { ok: false; errors: Partial<Record<"from" | "to", string>> };

function between(firstDay: string, lastDay: string, now: Date): Period {
  const end = endOfDay(lastDay)!;
  const endsNow = end > now;
  return {
    from: startOfDay(firstDay)!.toISOString(),
    to: (endsNow ? now : end).toISOString(),
    firstDay,
    lastDay: endsNow ? dayOf(now) : lastDay,
  };
}

export function periodFor(choice: PeriodChoice, now: Date, custom = { from: "", to: "" }): PeriodCheck {
  if (choice !== "custom") {
    const offset = choice === "this-month" ? 0 : -1;
    const first = new Date(now.getFullYear(), now.getMonth() + offset, 1);
    const last = new Date(now.getFullYear(), now.getMonth() + offset + 1, 0);
    return { ok: true, period: between(dayOf(first), dayOf(last), now) };
  }
  const errors: Partial<Record<"from" | "to", string>> = {};
  if (!custom.from) errors.from = "Enter the first day.";
  else if (!startOfDay(custom.from)) errors.from = "Enter a date, like 2026-11-01.";
  if (!custom.to) errors.to = "Enter the last day.";
  else if (!startOfDay(custom.to)) errors.to = "Enter a date, like 2026-11-30.";
  if (!errors.from && !errors.to) {
    if (custom.to < custom.from) errors.to = "The last day is before the first day.";
    else if (daysIncluded(custom.from, custom.to) > MAX_PERIOD_DAYS) {
      errors.to = `A statement covers at most ${MAX_PERIOD_DAYS} days.`;
    } else if (startOfDay(custom.from)! > now) errors.from = "The first day is in the future.";
  }
  if (errors.from || errors.to) return { ok: false, errors };
  return { ok: true, period: between(custom.from, custom.to, now) };
}
