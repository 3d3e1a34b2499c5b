/**
 * Calendar days as the user means them: in the browser's time zone. A date input gives "YYYY-MM-DD"; a day
 * runs from its local midnight to the next one, and the API gets those moments as UTC ISO strings.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local midnight that starts `day` ("2026-11-30"), or null if it is not a real date. */
export function startOfDay(day: string): Date | null {
  const match = DAY.exec(day);
  if (!match) return null;
  const [year, month, date] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const start = new Date(year, month, date);
  return start.getFullYear() === year && start.getMonth() === month && start.getDate() === date ? start : null;
}

/** The local midnight after `day`: the exclusive end of a range that includes the whole day. */
export function endOfDay(day: string): Date | null {
  const start = startOfDay(day);
  return start && new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1);
}

/** "YYYY-MM-DD" of a moment, in local time (what a date input shows). */
export function dayOf(moment: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`;
}

/** How many calendar days from `first` to `last`, both included (DST-proof: counted on the calendar). */
export function daysIncluded(first: string, last: string): number {
  const utc = (day: string) => {
    const start = startOfDay(day)!;
    return Date.UTC(start.getFullYear(), start.getMonth(), start.getDate());
  };
  return Math.round((utc(last) - utc(first)) / 86_400_000) + 1;
}

/** "Nov 30, 2026": a day for people, from "YYYY-MM-DD". */
export function formatDay(day: string): string {
  return (startOfDay(day) ?? new Date(NaN)).toLocaleDateString(undefined, { dateStyle: "medium" });
}
