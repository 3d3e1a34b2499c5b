import type { CreateWebhookEndpointInput, WebhookDeliveryStatus, WebhookEventType } from "../gql/graphql";

/** Every event type, in the order the form offers them; the compiler insists on each new one. */
export const EVENT_TYPE_LABELS: Record<WebhookEventType, { label: string; wire: string; description: string }> = {
  TRANSACTION_SUCCEEDED: {
    label: "Transaction succeeded",
    wire: "transaction.succeeded",
    description: "Money moved in or out of your wallet",
  },
  TRANSACTION_PENDING: {
    label: "Transaction pending",
    wire: "transaction.pending",
    description: "A hold reserved money: yours, or for you to capture",
  },
  TRANSACTION_FAILED: {
    label: "Transaction failed",
    wire: "transaction.failed",
    description: "A payment you made was refused",
  },
  PAYMENT_REQUEST_CREATED: {
    label: "Payment request made",
    wire: "payment_request.created",
    description: "You asked someone for money, or someone asked you",
  },
  PAYMENT_REQUEST_PAID: {
    label: "Payment request paid",
    wire: "payment_request.paid",
    description: "The payer approved a request and the money moved",
  },
  PAYMENT_REQUEST_DECLINED: {
    label: "Payment request declined",
    wire: "payment_request.declined",
    description: "The payer turned a request down",
  },
  PAYMENT_REQUEST_CANCELLED: {
    label: "Payment request cancelled",
    wire: "payment_request.cancelled",
    description: "The requester withdrew a request",
  },
  PAYMENT_REQUEST_EXPIRED: {
    label: "Payment request expired",
    wire: "payment_request.expired",
    description: "A request ran out of time unpaid",
  },
};
export const EVENT_TYPES = Object.keys(EVENT_TYPE_LABELS) as WebhookEventType[];

export const DELIVERY_STATUS_LABELS: Record<WebhookDeliveryStatus, string> = {
  PENDING: "Pending",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
};
export const DELIVERY_STATUSES = Object.keys(DELIVERY_STATUS_LABELS) as WebhookDeliveryStatus[];

export const URL_MAX_LENGTH = 2000;

export interface EndpointFormValues {
  url: string;
  eventTypes: readonly WebhookEventType[];
}

/** The form's inputs, named as the API's `errors[].field` names them. */
export type EndpointField = "url" | "eventTypes";
export const ENDPOINT_FIELDS: readonly EndpointField[] = ["url", "eventTypes"];

export type EndpointFormCheck =
  | { ok: true; input: CreateWebhookEndpointInput }
  | { ok: false; errors: Partial<Record<EndpointField, string>> };

/**
 * The client's own checks of the new-endpoint form: an http(s) URL with a host, and at least one event type.
 * What the service allows beyond that (no credentials or fragment in the URL, no private address in
 * production) is the server's to say: its answer comes back on the same fields.
 */
export function checkEndpointForm(values: EndpointFormValues): EndpointFormCheck {
  const errors: Partial<Record<EndpointField, string>> = {};
  const url = values.url.trim();
  if (url === "") errors.url = "Enter the URL your server receives webhooks at.";
  else if (url.length > URL_MAX_LENGTH) errors.url = `Use at most ${URL_MAX_LENGTH} characters.`;
  else if (!isHttpUrl(url)) errors.url = "Enter a whole http(s) URL, like https://example.com/webhooks/wallet.";

  const eventTypes = EVENT_TYPES.filter((kind) => values.eventTypes.includes(kind));
  if (eventTypes.length === 0) errors.eventTypes = "Choose at least one event to send.";

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, input: { url, eventTypes, enabled: true } };
}

function isHttpUrl(value: string): boolean {
  // Written out: scheme, "//", then the host at once (the WHATWG parser would forgive "https:///host").
  if (!/^https?:\/\/[^/?#\s]/i.test(value) || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}

export type EndpointState = "enabled" | "disabled";

export const ENDPOINT_STATE_LABELS: Record<EndpointState, string> = { enabled: "Enabled", disabled: "Disabled" };

export function endpointState(endpoint: { enabled: boolean }): EndpointState {
  return endpoint.enabled ? "enabled" : "disabled";
}

/** What the receiver answered last: its HTTP status, the sender's error (a timeout, a refused connection), or nothing yet. */
export function lastAnswer(delivery: {
  attempts: number;
  lastStatusCode?: number | null;
  lastError?: string | null;
}): string {
  return answer(delivery.lastStatusCode, delivery.lastError, delivery.attempts === 0 ? "Not sent yet" : "No answer");
}

/** One attempt's outcome, the same way. */
export function attemptAnswer(attempt: { statusCode?: number | null; error?: string | null }): string {
  return answer(attempt.statusCode, attempt.error, "No answer");
}

function answer(statusCode: number | null | undefined, error: string | null | undefined, otherwise: string): string {
  const status = statusCode != null ? `HTTP ${statusCode}` : null;
  // The sender's error for a status it did not like is just "HTTP 500": say it once.
  const detail = error && error !== status ? error : null;
  if (status && detail) return `${status}: ${detail}`;
  return status ?? detail ?? otherwise;
}

/** A duration in milliseconds as people read it: "34 ms", "1.2 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** A delivery's payload, indented for reading. */
export function formatPayload(payload: unknown): string {
  return JSON.stringify(payload, null, 2) ?? "";
}

export const POLL_MIN_MS = 1000;
export const POLL_MAX_MS = 15_000;

/**
 * How long to wait before looking at the delivery log again: not at all while nothing is PENDING; soon after
 * the earliest retry is due (a second after it, at least a second from now, at most 15 seconds from now). One
 * never tried is being sent now, whatever its `nextAttemptAt` says: while a sender holds a delivery, that is the
 * end of the sender's lease (a minute away), not a retry.
 */
export function nextPollDelay(
  deliveries: readonly { status: WebhookDeliveryStatus; attempts: number; nextAttemptAt?: string | null }[],
  now: number = Date.now(),
): number | null {
  const pending = deliveries.filter((delivery) => delivery.status === "PENDING");
  if (pending.length === 0) return null;
  const due = pending
    .map((delivery) =>
      delivery.attempts > 0 && delivery.nextAttemptAt ? new Date(delivery.nextAttemptAt).getTime() : now,
    )
    .map((time) => (Number.isNaN(time) ? now : time));
  const wait = Math.min(...due) - now + POLL_MIN_MS;
  return Math.min(Math.max(wait, POLL_MIN_MS), POLL_MAX_MS);
}

/** A time to the second: retries and attempts are seconds apart. */
export function whenExactly(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}
