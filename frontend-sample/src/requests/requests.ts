import type { PaymentRequestStatus, RequestPaymentInput } from "../gql/graphql";
import { checkAmount } from "../money/amount";
import { checkParty } from "../money/party";

export const REQUEST_STATUS_LABELS: Record<PaymentRequestStatus, string> = {
  PENDING: "Pending",
  PAID: "Paid",
  DECLINED: "Declined",
  CANCELLED: "Cancelled",
  EXPIRED: "Expired",
};
export const REQUEST_STATUSES = Object.keys(REQUEST_STATUS_LABELS) as PaymentRequestStatus[];

const HOUR = 3600;
/** The API takes 60 seconds to 30 days. */
export const MAX_EXPIRY_HOURS = 30 * 24;
export const EXPIRY_CHOICES = [
  { value: String(HOUR), label: "1 hour" },
  { value: String(24 * HOUR), label: "1 day" },
  { value: String(7 * 24 * HOUR), label: "1 week" },
  { value: "custom", label: "A number of hours" },
] as const;

/** The form's inputs; the API's `errors[].field` names are renamed onto them (REQUEST_FIELD_NAMES). */
export type RequestField = "payer" | "amount" | "note" | "expiry";
export const REQUEST_FIELDS: readonly RequestField[] = ["payer", "amount", "note", "expiry"];
export const REQUEST_FIELD_NAMES = { payerUsername: "payer", mobileNumber: "payer", expiresInSeconds: "expiry" };

export interface RequestFormValues {
  payer: string;
  amount: string;
  note: string;
  /** One of EXPIRY_CHOICES' values. */
  expiry: string;
  /** With expiry "custom": whole hours. */
  hours: string;
}

export type RequestInput = Omit<RequestPaymentInput, "idempotencyKey">;
export type RequestFormCheck =
  { ok: true; input: RequestInput } | { ok: false; errors: Partial<Record<RequestField, string>> };

export function checkRequestForm(values: RequestFormValues): RequestFormCheck {
  const errors: Partial<Record<RequestField, string>> = {};
  const payer = checkParty(values.payer);
  if (!payer.ok) errors.payer = payer.message;
  const amount = checkAmount(values.amount);
  if (!amount.ok) errors.amount = amount.message;
  let expiresInSeconds = Number(values.expiry);
  if (values.expiry === "custom") {
    const hours = values.hours.trim();
    if (!/^\d+$/.test(hours) || Number(hours) < 1 || Number(hours) > MAX_EXPIRY_HOURS)
      errors.expiry = `Enter a whole number of hours from 1 to ${MAX_EXPIRY_HOURS} (30 days).`;
    else expiresInSeconds = Number(hours) * HOUR;
  }
  if (!payer.ok || !amount.ok || errors.expiry) return { ok: false, errors };
  const note = values.note.trim();
  return {
    ok: true,
    input: {
      payerUsername: payer.username,
      mobileNumber: payer.mobileNumber,
      amount: amount.amount,
      note: note === "" ? null : note,
      expiresInSeconds,
    },
  };
}
