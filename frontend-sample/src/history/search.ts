/**
 * History's search: a date range, an amount range, the other side's username and text in the note, kept in the
 * URL (`?from=2026-11-01&to=2026-11-30&min=10&max=50&counterparty=bob&note=rent`) next to `kind`, `status`,
 * `direction` and `reference`. The form checks what it can before sending; the server checks again and its
 * BAD_USER_INPUT message is shown for what only it knows (or a hand-edited URL).
 */
import { checkAmount, compareAmounts } from "../money/amount";
import { endOfDay, startOfDay } from "./days";

export const SEARCH_FIELDS = ["from", "to", "min", "max", "counterparty", "note"] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];
export type SearchValues = Record<SearchField, string>;
export type SearchErrors = Partial<Record<SearchField, string>>;

export const NOTE_MAX_LENGTH = 100;

export const EMPTY_SEARCH: SearchValues = { from: "", to: "", min: "", max: "", counterparty: "", note: "" };

export function searchFromParams(params: URLSearchParams): SearchValues {
  const values = { ...EMPTY_SEARCH };
  for (const field of SEARCH_FIELDS) values[field] = params.get(field)?.trim() ?? "";
  return values;
}

/** The URL's parameters with the search replaced (empty values dropped), the other filters kept. */
export function withSearch(params: URLSearchParams, values: SearchValues): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const field of SEARCH_FIELDS) {
    const value = values[field].trim();
    if (value) next.set(field, value);
    else next.delete(field);
  }
  return next;
}

export function isSearching(values: SearchValues): boolean {
  return SEARCH_FIELDS.some((field) => values[field] !== "");
}

/** What the form can tell before sending, by field: bad dates and amounts, inverted ranges, a long note. */
export function checkSearch(values: SearchValues): SearchErrors {
  const errors: SearchErrors = {};
  for (const field of ["from", "to"] as const) {
    if (values[field] && !startOfDay(values[field])) errors[field] = "Enter a date, like 2026-11-30.";
  }
  if (!errors.from && !errors.to && values.from && values.to && values.to < values.from) {
    errors.to = "The end date is before the start date.";
  }
  const amounts: Partial<Record<"min" | "max", string>> = {};
  for (const field of ["min", "max"] as const) {
    if (!values[field]) continue;
    const check = checkAmount(values[field]);
    if (check.ok) amounts[field] = check.amount;
    else errors[field] = check.message;
  }
  if (amounts.min && amounts.max && compareAmounts(amounts.min, amounts.max) > 0) {
    errors.max = "The highest amount is below the lowest.";
  }
  if (values.note.length > NOTE_MAX_LENGTH) errors.note = `Use at most ${NOTE_MAX_LENGTH} characters.`;
  return errors;
}

export interface SearchVariables {
  createdFrom: string | null;
  createdTo: string | null;
  minAmount: string | null;
  maxAmount: string | null;
  counterparty: string | null;
  noteContains: string | null;
}

/**
 * The query's arguments. The dates are whole local days: from the first one's midnight (inclusive) to the
 * midnight after the last one (exclusive, as `createdTo` is). A value the form would not send (from a
 * hand-edited URL) goes as it is, and the server's message says what is wrong with it.
 */
export function searchVariables(values: SearchValues): SearchVariables {
  const amount = (raw: string) => {
    if (!raw) return null;
    const check = checkAmount(raw);
    return check.ok ? check.amount : raw;
  };
  return {
    createdFrom: values.from ? (startOfDay(values.from)?.toISOString() ?? values.from) : null,
    createdTo: values.to ? (endOfDay(values.to)?.toISOString() ?? values.to) : null,
    minAmount: amount(values.min),
    maxAmount: amount(values.max),
    counterparty: values.counterparty || null,
    noteContains: values.note || null,
  };
}
