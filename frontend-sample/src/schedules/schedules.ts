import type { ScheduleTransferInput, StandingOrderStatus, TransactionStatus, TransferRepeat } from "../gql/graphql";
import { checkAmount } from "../money/amount";
import { checkParty } from "../money/party";

export const REPEAT_LABELS: Record<TransferRepeat, string> = {
  NONE: "Once",
  DAILY: "Every day",
  WEEKLY: "Every week",
  MONTHLY: "Every month",
};
export const REPEATS = Object.keys(REPEAT_LABELS) as TransferRepeat[];

export const ORDER_STATUS_LABELS: Record<StandingOrderStatus, string> = {
  ACTIVE: "Active",
  PAUSED: "Paused",
  CANCELLED: "Cancelled",
  COMPLETED: "Completed",
};
export const ORDER_STATUSES = Object.keys(ORDER_STATUS_LABELS) as StandingOrderStatus[];

/** An occurrence's outcome: the status of the transfer it made. */
export const OCCURRENCE_STATUS_LABELS: Record<TransactionStatus, string> = {
  SUCCESS: "Succeeded",
  FAILED: "Failed",
  PENDING: "Pending",
};

export type EndChoice = "never" | "date" | "count";
export const END_CHOICES: readonly { value: EndChoice; label: string }[] = [
  { value: "never", label: "Never (until cancelled)" },
  { value: "date", label: "On a date" },
  { value: "count", label: "After a number of payments" },
];

/** The form's inputs; the API's `errors[].field` names are renamed onto them (ORDER_FIELD_NAMES). */
export type OrderField = "receiver" | "amount" | "note" | "firstRunAt" | "repeat" | "dayOfMonth" | "endDate" | "count";
export const ORDER_FIELDS: readonly OrderField[] = [
  "receiver",
  "amount",
  "note",
  "firstRunAt",
  "repeat",
  "dayOfMonth",
  "endDate",
  "count",
];
export const ORDER_FIELD_NAMES = {
  receiverUsername: "receiver",
  mobileNumber: "receiver",
  endsAt: "endDate",
  maxOccurrences: "count",
};

export interface OrderFormValues {
  receiver: string;
  amount: string;
  note: string;
  /** A datetime-local input's value, in the browser's time zone: 2030-01-31T09:00 or 2030-01-31T09:00:30. */
  firstRunAt: string;
  repeat: TransferRepeat;
  /** With MONTHLY: 1 to 31, or empty for the first payment's day. */
  dayOfMonth: string;
  ends: EndChoice;
  /** A date input's value (2030-06-30): the last day a payment may run. */
  endDate: string;
  count: string;
}

export type OrderInput = Omit<ScheduleTransferInput, "idempotencyKey">;
export type OrderFormCheck =
  { ok: true; input: OrderInput } | { ok: false; errors: Partial<Record<OrderField, string>> };

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A datetime-local value as an instant, read in the browser's time zone. */
export function parseLocalDateTime(value: string): Date | null {
  const match = LOCAL_DATE_TIME.exec(value.trim());
  if (!match) return null;
  const [y, mo, d, h, mi, s] = match.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(y, mo - 1, d, h, mi, s);
  return date.getMonth() === mo - 1 ? date : null;
}

/** The end of the day a date input names (so payments on that day still run), in the browser's time zone. */
export function endOfLocalDay(value: string): Date | null {
  const match = LOCAL_DATE.exec(value.trim());
  if (!match) return null;
  const [y, mo, d] = match.slice(1).map(Number);
  const start = new Date(y, mo - 1, d);
  return start.getMonth() === mo - 1 ? new Date(y, mo - 1, d + 1) : null;
}

/** A Date as a datetime-local input's value (with seconds), in the browser's time zone. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

function wholeNumber(text: string): number | null {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
}

/**
 * The client's own checks: what is obviously wrong (no receiver, a bad amount, an end before the start, fewer
 * than one payment). The server checks again and has the last word (a first run in the past, for one).
 */
export function checkOrderForm(values: OrderFormValues): OrderFormCheck {
  const errors: Partial<Record<OrderField, string>> = {};
  const receiver = checkParty(values.receiver);
  if (!receiver.ok) errors.receiver = receiver.message;
  const amount = checkAmount(values.amount);
  if (!amount.ok) errors.amount = amount.message;
  const firstRunAt = parseLocalDateTime(values.firstRunAt);
  if (!firstRunAt) errors.firstRunAt = "Enter the date and time of the first payment.";

  const repeats = values.repeat !== "NONE";
  let dayOfMonth: number | null = null;
  if (values.repeat === "MONTHLY" && values.dayOfMonth.trim() !== "") {
    dayOfMonth = wholeNumber(values.dayOfMonth);
    if (dayOfMonth === null || dayOfMonth < 1 || dayOfMonth > 31) errors.dayOfMonth = "Enter a day from 1 to 31.";
  }
  let endsAt: Date | null = null;
  let maxOccurrences: number | null = null;
  if (repeats && values.ends === "date") {
    endsAt = endOfLocalDay(values.endDate);
    if (!endsAt) errors.endDate = "Enter the last day a payment may be made.";
    else if (firstRunAt && endsAt <= firstRunAt) errors.endDate = "The end can't be before the first payment.";
  }
  if (repeats && values.ends === "count") {
    maxOccurrences = wholeNumber(values.count);
    if (maxOccurrences === null || maxOccurrences < 1) errors.count = "Enter a whole number of payments, 1 or more.";
  }
  if (!receiver.ok || !amount.ok || !firstRunAt || Object.keys(errors).length > 0) return { ok: false, errors };
  const note = values.note.trim();
  return {
    ok: true,
    input: {
      receiverUsername: receiver.username,
      mobileNumber: receiver.mobileNumber,
      amount: amount.amount,
      note: note === "" ? null : note,
      firstRunAt: firstRunAt.toISOString(),
      repeat: values.repeat,
      dayOfMonth,
      endsAt: endsAt?.toISOString() ?? null,
      maxOccurrences,
    },
  };
}

/** "Every month on day 31 (or the month's last day)", "Every week", "Once". */
export function describeRepeat(repeat: TransferRepeat, dayOfMonth: number | null | undefined): string {
  if (repeat !== "MONTHLY" || !dayOfMonth) return REPEAT_LABELS[repeat];
  return dayOfMonth > 28
    ? `Every month on day ${dayOfMonth} (or the month's last day)`
    : `Every month on day ${dayOfMonth}`;
}

/**
 * How long to wait before looking again: a second after the soonest active order is due, if that is within a
 * minute either way (an order overdue for longer waits on a scheduler that is not running: no point asking).
 */
export function nextOrderPollDelay(
  orders: readonly { status: StandingOrderStatus; nextRunAt?: string | null }[],
  now: number = Date.now(),
): number | null {
  const due = orders
    .filter((order) => order.status === "ACTIVE" && order.nextRunAt)
    .map((order) => Date.parse(order.nextRunAt!) - now)
    .filter((wait) => wait < 60_000 && wait > -60_000);
  if (due.length === 0) return null;
  return Math.min(Math.max(Math.min(...due) + 1000, 1000), 15_000);
}
