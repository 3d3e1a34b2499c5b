import type { ErrorCode } from "../gql/graphql";

/** A human sentence for every error code the API can return; the compiler insists on each new one. */
export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  INVALID_AMOUNT: "Enter a valid amount greater than zero.",
  INVALID_INPUT: "Check this value.",
  INSUFFICIENT_FUNDS: "Not enough money in your wallet for this.",
  RECEIVER_NOT_FOUND: "No one with that username or number uses this wallet.",
  SELF_TRANSFER: "You can't send money to yourself.",
  DAILY_LIMIT_EXCEEDED: "This would go over your daily transfer limit.",
  IDEMPOTENCY_KEY_REUSED: "This form was already used for a different payment. Reload it and try again.",
  INVALID_MOBILE_NUMBER: "Enter a mobile number with its country code, like +14155550123.",
  USERNAME_TAKEN: "That username is taken.",
  MOBILE_NUMBER_TAKEN: "That mobile number belongs to another account.",
  WEAK_PASSWORD: "Choose a stronger password.",
  INVALID_CREDENTIALS: "Wrong username or password.",
  INVALID_TOKEN: "Your session has ended. Log in again.",
  CURRENCY_MISMATCH: "The other wallet uses a different currency.",
  TRANSACTION_NOT_FOUND: "That transaction doesn't exist.",
  NOT_REVERSIBLE: "This transaction can't be reversed.",
  REVERSAL_EXCEEDS_ORIGINAL: "That is more than what is left to return.",
  HOLD_NOT_FOUND: "That hold doesn't exist.",
  HOLD_ALREADY_RESOLVED: "This hold was already captured or voided.",
  HOLD_EXPIRED: "This hold has expired.",
  CAPTURE_EXCEEDS_HOLD: "That is more than the hold reserves.",
  LINKED_TRANSFER_FAILED: "Not sent, because another transfer in the batch failed.",
  REFERENCE_ALREADY_USED: "You already made a payment with this reference.",
  RATE_LIMITED: "Too many attempts in a short time. Wait a minute and try again.",
  PAYMENT_REQUEST_NOT_FOUND: "That payment request doesn't exist.",
  PAYMENT_REQUEST_NOT_PENDING: "This request was already paid, declined, cancelled or has expired.",
  STANDING_ORDER_NOT_FOUND: "That standing order doesn't exist.",
  WALLET_FROZEN: "A frozen wallet can't send or receive this payment, so no money moved. If yours is frozen, your dashboard says why.",
  MONTHLY_LIMIT_EXCEEDED: "This would go over your monthly limit.",
  BALANCE_LIMIT_EXCEEDED: "This would take the receiving wallet over its maximum balance.",
  TRANSACTION_LIMIT_EXCEEDED: "This is more than the most you can send in one payment.",
  FREEZE_NOT_FOUND: "That freeze is not yours to lift, or it was already lifted.",
};

export function messageFor(code: ErrorCode | null | undefined): string {
  return (code && ERROR_MESSAGES[code]) || "Something went wrong.";
}

export interface ApiUserError {
  code: ErrorCode;
  field?: string | null;
  message: string;
}

export interface FormErrors<Field extends string> {
  /** Messages to show next to the named input. */
  fields: Partial<Record<Field, string>>;
  /** Messages about the whole form, or a field the form does not show. */
  form: string[];
}

/**
 * Sorts a payload's `errors` onto the form: each goes next to the input its `field` names, or to the form
 * as a whole. Our sentence for the code comes first; the server's own message adds detail where it has more
 * (a validation error says which rule failed).
 */
export function mapErrors<Field extends string>(
  errors: readonly ApiUserError[],
  formFields: readonly Field[],
): FormErrors<Field> {
  const result: FormErrors<Field> = { fields: {}, form: [] };
  for (const error of errors) {
    const text = describe(error);
    const field = formFields.find((name) => name === error.field);
    if (field && result.fields[field] === undefined) result.fields[field] = text;
    else result.form.push(text);
  }
  return result;
}

function describe(error: ApiUserError): string {
  const ours = messageFor(error.code);
  const detailed = error.code === "INVALID_INPUT" || error.code === "WEAK_PASSWORD" || error.code === "INVALID_AMOUNT";
  return detailed && error.message && error.message !== ours ? `${ours} ${error.message}` : ours;
}

/**
 * The server's own words for a query it refused as malformed (a top-level error with code BAD_USER_INPUT,
 * such as an inverted range the form could not see), or null for anything else (network, bugs).
 */
export function badUserInput(
  error: { graphQLErrors: readonly { message: string; extensions?: Record<string, unknown> }[] } | undefined,
): string | null {
  const refused = error?.graphQLErrors.find((item) => item.extensions?.code === "BAD_USER_INPUT");
  return refused?.message ?? null;
}
