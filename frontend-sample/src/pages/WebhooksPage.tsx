import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useClient, useMutation, useQuery } from "urql";

import { ErrorSummary, Notice } from "../components/Alert";
import { Field, Select } from "../components/Field";
import { SecretBox } from "../components/SecretBox";
import { when } from "../components/TransactionList";
import { useLookAgain } from "../components/useLookAgain";
import { graphql } from "../gql";
import type {
  WebhookDeliveryFieldsFragment,
  WebhookDeliveryStatus,
  WebhookEndpointFieldsFragment,
  WebhookEventType,
} from "../gql/graphql";
import { mapErrors, type FormErrors } from "../money/errors";
import { useIdempotencyKey } from "../money/idempotency";
import {
  DELIVERY_STATUS_LABELS,
  DELIVERY_STATUSES,
  ENDPOINT_FIELDS,
  ENDPOINT_STATE_LABELS,
  EVENT_TYPE_LABELS,
  EVENT_TYPES,
  attemptAnswer,
  checkEndpointForm,
  endpointState,
  formatDuration,
  formatPayload,
  lastAnswer,
  nextPollDelay,
  whenExactly,
  type EndpointField,
} from "../webhooks/webhooks";

export const WebhookEndpointFields = graphql(`
  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    eventTypes
    enabled
    disabledReason
    createdAt
  }
`);

export const WebhookDeliveryFields = graphql(`
  fragment WebhookDeliveryFields on WebhookDelivery {
    id
    endpointId
    eventId
    eventType
    status
    attempts
    lastStatusCode
    lastError
    nextAttemptAt
    createdAt
    deliveredAt
    redelivery
    payload
    attemptLog {
      attemptedAt
      statusCode
      error
      durationMs
    }
  }
`);

const WebhookEndpoints = graphql(`
  query WebhookEndpoints {
    webhookEndpoints {
      ...WebhookEndpointFields
    }
  }
`);

const WebhookDeliveries = graphql(`
  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!) {
    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first) {
      totalCount
      edges {
        node {
          ...WebhookDeliveryFields
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);

export const CreateWebhookEndpoint = graphql(`
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      endpoint {
        ...WebhookEndpointFields
      }
      secret
      errors {
        code
        field
        message
      }
    }
  }
`);

const UpdateWebhookEndpoint = graphql(`
  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      endpoint {
        ...WebhookEndpointFields
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const DeleteWebhookEndpoint = graphql(`
  mutation DeleteWebhookEndpoint($input: WebhookEndpointIdInput!) {
    deleteWebhookEndpoint(input: $input) {
      deletedId
      errors {
        code
        field
        message
      }
    }
  }
`);

export const RotateWebhookSecret = graphql(`
  mutation RotateWebhookSecret($input: WebhookEndpointIdInput!) {
    rotateWebhookSecret(input: $input) {
      endpoint {
        ...WebhookEndpointFields
      }
      secret
      errors {
        code
        field
        message
      }
    }
  }
`);

export const RedeliverWebhook = graphql(`
  mutation RedeliverWebhook($input: RedeliverWebhookInput!) {
    redeliverWebhook(input: $input) {
      delivery {
        ...WebhookDeliveryFields
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const NETWORK_ERROR = "We could not reach the wallet. Check your connection and try again.";
const REDELIVER_UNKNOWN =
  "We could not reach the wallet, so we don't know whether it was sent again. " +
  "Trying again is safe: it will not be sent twice.";
// Both lists are refetched after any mutation that returns what they hold, even while they are still empty.
const ENDPOINTS_CONTEXT = { additionalTypenames: ["WebhookEndpoint"] };
const DELIVERIES_CONTEXT = { additionalTypenames: ["WebhookDelivery"] };
// Deleting returns just an id: it says itself that both lists changed (the endpoint's log goes with it).
const DELETE_CONTEXT = { additionalTypenames: ["WebhookEndpoint", "WebhookDelivery"] };
const PAGE_SIZE = 20;
const MAX_SHOWN = 100;

type Endpoint = WebhookEndpointFieldsFragment;
type Delivery = WebhookDeliveryFieldsFragment;

interface NewSecret {
  endpointId: string;
  url: string;
  secret: string;
  rotated: boolean;
}

function eventLabels(eventTypes: readonly WebhookEventType[]): string {
  return EVENT_TYPES.filter((kind) => eventTypes.includes(kind))
    .map((kind) => EVENT_TYPE_LABELS[kind].label)
    .join(", ");
}

/**
 * A signing secret just made (a new endpoint, or a rotation), shown this once. It lives only in this page's
 * state: leaving the page, reloading or "Done" forgets it, and it is never in urql's cache or in storage.
 */
function NewSecretBox({ created, onDone }: { created: NewSecret; onDone: () => void }) {
  return (
    <SecretBox
      title="Store the signing secret now"
      label={created.rotated ? "The new signing secret" : "Signing secret"}
      noun="secret"
      secret={created.secret}
      testId="new-webhook-secret"
      onDone={onDone}
    >
      {created.rotated ? (
        <>
          <strong>This is the only time the new signing secret of {created.url} is shown.</strong> For the next 24
          hours each delivery carries two signatures, one by the old secret and one by this one: switch your server
          over to this one before then.
        </>
      ) : (
        <>
          <strong>This is the only time the signing secret of {created.url} is shown.</strong> Your server checks
          each delivery's <code>webhook-signature</code> header with it, and the wallet cannot show it again. If you
          lose it, rotate the secret.
        </>
      )}
    </SecretBox>
  );
}

function CreateEndpointForm({ onCreated }: { onCreated: (created: NewSecret) => void }) {
  const id = useId();
  // client.mutation rather than useMutation: the secret in the answer is kept by no hook's state.
  const client = useClient();
  const [url, setUrl] = useState("");
  const [eventTypes, setEventTypes] = useState<WebhookEventType[]>(["TRANSACTION_SUCCEEDED"]);
  const [errors, setErrors] = useState<FormErrors<EndpointField>>({ fields: {}, form: [] });
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const eventTypesError = errors.fields.eventTypes;

  useEffect(() => {
    form.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [errors]);

  function toggle(kind: WebhookEventType, on: boolean) {
    setEventTypes((previous) => (on ? [...previous, kind] : previous.filter((item) => item !== kind)));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const check = checkEndpointForm({ url, eventTypes });
    if (!check.ok) return setErrors({ fields: check.errors, form: [] });
    setErrors({ fields: {}, form: [] });
    setBusy(true);
    try {
      const result = await client.mutation(CreateWebhookEndpoint, { input: check.input }).toPromise();
      const payload = result.data?.createWebhookEndpoint;
      if (!payload) return setErrors({ fields: {}, form: [NETWORK_ERROR] });
      if (payload.errors.length > 0 || !payload.secret || !payload.endpoint)
        return setErrors(mapErrors(payload.errors, ENDPOINT_FIELDS));
      setUrl("");
      setEventTypes(["TRANSACTION_SUCCEEDED"]);
      onCreated({ endpointId: payload.endpoint.id, url: payload.endpoint.url, secret: payload.secret, rotated: false });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={form} onSubmit={submit} noValidate className="card form" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New endpoint</h2>
      <ErrorSummary messages={errors.form} />
      <Field
        label="Endpoint URL"
        hint="Where the wallet POSTs your events, like https://shop.example/webhooks/wallet. Answer 2xx within 5 seconds to accept one."
        type="url"
        inputMode="url"
        autoComplete="off"
        spellCheck={false}
        value={url}
        error={errors.fields.url}
        onChange={(event) => setUrl(event.target.value)}
      />
      <fieldset className="field event-types" aria-describedby={eventTypesError ? `${id}-types-error` : undefined}>
        <legend>Events to send</legend>
        {EVENT_TYPES.map((kind, index) => (
          <div key={kind} className="checkbox">
            <input
              type="checkbox"
              id={`${id}-${kind}`}
              checked={eventTypes.includes(kind)}
              aria-invalid={eventTypesError && index === 0 ? true : undefined}
              aria-describedby={[`${id}-${kind}-hint`, eventTypesError ? `${id}-types-error` : null]
                .filter(Boolean)
                .join(" ")}
              onChange={(event) => toggle(kind, event.target.checked)}
            />
            <label htmlFor={`${id}-${kind}`}>{EVENT_TYPE_LABELS[kind].label}</label>
            <span className="hint" id={`${id}-${kind}-hint`}>
              {EVENT_TYPE_LABELS[kind].description} (<code>{EVENT_TYPE_LABELS[kind].wire}</code>)
            </span>
          </div>
        ))}
        {eventTypesError && (
          <p className="field-error" id={`${id}-types-error`} role="alert">
            {eventTypesError}
          </p>
        )}
      </fieldset>
      <button type="submit" disabled={busy} aria-busy={busy}>
        {busy ? "Adding…" : "Add endpoint"}
      </button>
    </form>
  );
}

type Focus = "question" | "rotate" | "delete" | null;

function EndpointItem({
  endpoint,
  onChanged,
  onRotated,
  onDeleted,
  onShowDeliveries,
}: {
  endpoint: Endpoint;
  onChanged: (message: string) => void;
  onRotated: (created: NewSecret) => void;
  onDeleted: (url: string) => void;
  onShowDeliveries: () => void;
}) {
  const id = useId();
  const client = useClient();
  const state = endpointState(endpoint);
  const [confirming, setConfirming] = useState<"rotate" | "delete" | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [focus, setFocus] = useState<Focus>(null);
  const [rotating, setRotating] = useState(false);
  const [{ fetching: updating }, update] = useMutation(UpdateWebhookEndpoint);
  const [{ fetching: deleting }, remove] = useMutation(DeleteWebhookEndpoint);
  const busy = rotating || updating || deleting;
  const item = useRef<HTMLLIElement>(null);

  // Focus follows the confirmation: to its question, and back to the button that asked on cancel.
  useEffect(() => {
    if (!focus) return;
    item.current?.querySelector<HTMLElement>(`[data-focus="${focus}"]`)?.focus();
    setFocus(null);
  }, [focus]);

  async function toggle() {
    if (busy) return;
    const enabled = !endpoint.enabled;
    const result = await update({ input: { id: endpoint.id, enabled } });
    const payload = result.data?.updateWebhookEndpoint;
    if (!payload) return setErrors([NETWORK_ERROR]);
    if (payload.errors.length > 0) return setErrors(mapErrors(payload.errors, []).form);
    setErrors([]);
    onChanged(
      enabled
        ? `Enabled ${endpoint.url}: events are sent to it again.`
        : `Disabled ${endpoint.url}: nothing is sent to it until you enable it again.`,
    );
  }

  async function rotate() {
    setRotating(true);
    try {
      const result = await client.mutation(RotateWebhookSecret, { input: { id: endpoint.id } }).toPromise();
      const payload = result.data?.rotateWebhookSecret;
      if (!payload) return setErrors([NETWORK_ERROR]);
      if (payload.errors.length > 0 || !payload.secret) return setErrors(mapErrors(payload.errors, []).form);
      setErrors([]);
      setConfirming(null);
      onRotated({ endpointId: endpoint.id, url: endpoint.url, secret: payload.secret, rotated: true });
    } finally {
      setRotating(false);
    }
  }

  async function confirmDelete() {
    const result = await remove({ input: { id: endpoint.id } }, DELETE_CONTEXT);
    const payload = result.data?.deleteWebhookEndpoint;
    if (!payload) return setErrors([NETWORK_ERROR]);
    if (payload.errors.length > 0) return setErrors(mapErrors(payload.errors, []).form);
    onDeleted(endpoint.url);
  }

  function ask(what: "rotate" | "delete") {
    setErrors([]);
    setConfirming(what);
    setFocus("question");
  }

  function cancel() {
    const asked = confirming;
    setConfirming(null);
    setErrors([]);
    setFocus(asked);
  }

  return (
    <li ref={item} className={`card endpoint endpoint-${state}`}>
      <div className="endpoint-title">
        <h3 id={`${id}-url`} className="mono" data-endpoint-heading={endpoint.id} tabIndex={-1}>
          {endpoint.url}
        </h3>
        <span className={`badge badge-${state}`} data-testid="endpoint-state">
          {ENDPOINT_STATE_LABELS[state]}
        </span>
      </div>
      <dl className="details">
        <dt>Events</dt>
        <dd>{eventLabels(endpoint.eventTypes)}</dd>
        <dt>Created</dt>
        <dd>
          <time dateTime={endpoint.createdAt}>{when(endpoint.createdAt)}</time>
        </dd>
        {endpoint.disabledReason && (
          <>
            <dt>Disabled because</dt>
            <dd data-testid="endpoint-disabled-reason">{endpoint.disabledReason}</dd>
          </>
        )}
      </dl>
      <ErrorSummary messages={errors} />
      {!confirming && (
        <div className="buttons">
          {/* Not disabled while busy: it keeps focus, and its new label is read out. */}
          <button type="button" className="secondary" aria-busy={updating} onClick={toggle}>
            {endpoint.enabled ? "Disable" : "Enable"}
            <span className="visually-hidden"> {endpoint.url}</span>
          </button>
          <button type="button" className="secondary" onClick={onShowDeliveries}>
            Its deliveries<span className="visually-hidden"> ({endpoint.url})</span>
          </button>
          <button type="button" className="secondary" data-focus="rotate" disabled={busy} onClick={() => ask("rotate")}>
            Rotate secret<span className="visually-hidden"> of {endpoint.url}</span>
          </button>
          <button type="button" className="secondary" data-focus="delete" disabled={busy} onClick={() => ask("delete")}>
            Delete<span className="visually-hidden"> {endpoint.url}</span>
          </button>
        </div>
      )}
      {confirming === "rotate" && (
        <div className="confirm" role="group" aria-labelledby={`${id}-question`}>
          <p id={`${id}-question`} data-focus="question" tabIndex={-1}>
            <strong>Rotate the signing secret of {endpoint.url}?</strong> You get a new secret, shown once. For 24
            hours deliveries are signed with both the old and the new one, so your server can switch over.
          </p>
          <div className="buttons">
            <button type="button" disabled={rotating} aria-busy={rotating} onClick={rotate}>
              Yes, rotate it
            </button>
            <button type="button" className="secondary" disabled={rotating} onClick={cancel}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {confirming === "delete" && (
        <div className="confirm" role="group" aria-labelledby={`${id}-question`}>
          <p id={`${id}-question`} data-focus="question" tabIndex={-1}>
            <strong>Delete {endpoint.url}?</strong> Nothing more is sent to it, and its delivery log goes with it.
            This can't be undone.
          </p>
          <div className="buttons">
            <button type="button" className="danger" disabled={deleting} aria-busy={deleting} onClick={confirmDelete}>
              Yes, delete it
            </button>
            <button type="button" className="secondary" disabled={deleting} onClick={cancel}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </li>
  );
}

export function DeliveryItem({
  delivery,
  endpoint,
  showEndpoint,
  isNew,
  newOnTop,
  onRedelivered,
}: {
  delivery: Delivery;
  endpoint: Endpoint | undefined;
  showEndpoint: boolean;
  isNew: boolean;
  newOnTop: boolean;
  onRedelivered: (delivery: Delivery) => void;
}) {
  const id = useId();
  const [errors, setErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [{ fetching }, redeliver] = useMutation(RedeliverWebhook);
  // A new key for each click; the same one again while the outcome of a click is unknown (a retry).
  const { key, settle } = useIdempotencyKey({ redeliver: delivery.id });
  const inFlight = useRef(false);
  const status = delivery.status;
  const statusClass = status.toLowerCase();
  const type = EVENT_TYPE_LABELS[delivery.eventType];

  async function sendAgain() {
    // A second click while the first is in flight sends nothing.
    if (inFlight.current) return;
    inFlight.current = true;
    setNotice(null);
    try {
      const result = await redeliver(
        { input: { deliveryId: delivery.id, idempotencyKey: key } },
        { requestPolicy: "network-only", ...DELIVERIES_CONTEXT },
      );
      const payload = result.data?.redeliverWebhook;
      if (!payload) return setErrors([REDELIVER_UNKNOWN]);
      settle();
      if (payload.errors.length > 0 || !payload.delivery) return setErrors(mapErrors(payload.errors, []).form);
      setErrors([]);
      setNotice(
        newOnTop
          ? "Sent again: a new delivery with the same webhook-id, at the top of the list."
          : "Sent again: a new delivery with the same webhook-id.",
      );
      onRedelivered(payload.delivery);
    } finally {
      inFlight.current = false;
    }
  }

  return (
    <li
      className={`card delivery delivery-${statusClass}${isNew ? " delivery-new" : ""}`}
      data-testid="delivery"
    >
      <div className="delivery-title">
        <h3 id={`${id}-title`}>{type.label}</h3>
        <span className={`badge badge-${statusClass}`} data-testid="delivery-status">
          {DELIVERY_STATUS_LABELS[status]}
        </span>
        {delivery.redelivery && <span className="badge badge-plain">Redelivery</span>}
      </div>
      <dl className="details">
        {showEndpoint && (
          <>
            <dt>Endpoint</dt>
            <dd className="mono">{endpoint?.url ?? "A deleted endpoint"}</dd>
          </>
        )}
        <dt>Webhook id</dt>
        <dd className="mono" data-testid="delivery-webhook-id">
          {delivery.eventId}
        </dd>
        <dt>Created</dt>
        <dd>
          <time dateTime={delivery.createdAt}>{whenExactly(delivery.createdAt)}</time>
        </dd>
        <dt>Attempts</dt>
        <dd data-testid="delivery-attempts">{delivery.attempts}</dd>
        <dt>Last answer</dt>
        <dd data-testid="delivery-last-answer">{lastAnswer(delivery)}</dd>
        {status === "PENDING" && (
          <>
            <dt>Next try</dt>
            <dd data-testid="delivery-next-try">
              {/* Never tried: due now (while a sender holds it, nextAttemptAt is the end of its lease). */}
              {delivery.attempts === 0 || !delivery.nextAttemptAt ? (
                "Now"
              ) : (
                <time dateTime={delivery.nextAttemptAt}>{whenExactly(delivery.nextAttemptAt)}</time>
              )}
            </dd>
          </>
        )}
        {delivery.deliveredAt && (
          <>
            <dt>Delivered</dt>
            <dd data-testid="delivery-delivered">
              <time dateTime={delivery.deliveredAt}>{whenExactly(delivery.deliveredAt)}</time>
            </dd>
          </>
        )}
      </dl>
      <details className="disclosure">
        <summary>
          Attempt log ({delivery.attemptLog.length})
          <span className="visually-hidden">, {type.label}</span>
        </summary>
        {delivery.attemptLog.length === 0 ? (
          <p className="muted">Not sent yet.</p>
        ) : (
          <div className="table-scroll">
            <table data-testid="attempt-log">
              <caption className="visually-hidden">Every attempt, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Answer</th>
                  <th scope="col" className="num">
                    Took
                  </th>
                </tr>
              </thead>
              <tbody>
                {delivery.attemptLog.map((attempt, index) => (
                  <tr key={index} className={attempt.statusCode && attempt.statusCode < 300 ? "ok" : "failed"}>
                    <td>
                      <time dateTime={attempt.attemptedAt}>{whenExactly(attempt.attemptedAt)}</time>
                    </td>
                    <td>{attemptAnswer(attempt)}</td>
                    <td className="num">{formatDuration(attempt.durationMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
      <details className="disclosure">
        <summary>
          Payload<span className="visually-hidden">, {type.label}</span>
        </summary>
        {/* Focusable, so a keyboard can scroll a long line sideways. */}
        <pre className="payload" tabIndex={0} data-testid="delivery-payload">
          {formatPayload(delivery.payload)}
        </pre>
      </details>
      <ErrorSummary messages={errors} />
      {endpoint?.enabled === false ? (
        <p className="muted">Enable its endpoint to send this again.</p>
      ) : (
        <button type="button" className="secondary" disabled={fetching} aria-busy={fetching} onClick={sendAgain}>
          {fetching ? "Sending again…" : "Redeliver"}
          <span className="visually-hidden">, {type.label}</span>
        </button>
      )}
      <Notice>{notice}</Notice>
    </li>
  );
}

function DeliveryLog({
  endpoints,
  endpointId,
  status,
  onFilter,
}: {
  endpoints: readonly Endpoint[];
  endpointId: string | null;
  status: WebhookDeliveryStatus | null;
  onFilter: (name: "endpoint" | "status", value: string) => void;
}) {
  const filterKey = JSON.stringify([endpointId, status]);
  const [shown, setShown] = useState({ filterKey, first: PAGE_SIZE });
  const first = shown.filterKey === filterKey ? shown.first : PAGE_SIZE;
  const [newId, setNewId] = useState<string | null>(null);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: WebhookDeliveries,
    variables: { endpointId, status, first },
    context: DELIVERIES_CONTEXT,
    requestPolicy: "cache-and-network",
  });
  const connection = data?.webhookDeliveries;
  const deliveries = connection?.edges.map((edge) => edge.node) ?? [];
  const byId = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint]));

  // While something is PENDING, look again soon after its next try is due; each look schedules the next.
  useLookAgain(connection, (value) => nextPollDelay(value.edges.map((edge) => edge.node)), reexecute);

  const polling = deliveries.some((delivery) => delivery.status === "PENDING");
  const total = connection?.totalCount ?? 0;

  return (
    <>
      <div className="filters card delivery-filters" role="group" aria-label="Filter deliveries">
        <Select
          label="Endpoint"
          value={endpointId ?? ""}
          onChange={(value) => onFilter("endpoint", value)}
          options={[
            { value: "", label: "All endpoints" },
            ...endpoints.map((endpoint) => ({ value: endpoint.id, label: endpoint.url })),
          ]}
        />
        <Select
          label="Status"
          value={status ?? ""}
          onChange={(value) => onFilter("status", value)}
          options={[
            { value: "", label: "All statuses" },
            ...DELIVERY_STATUSES.map((value) => ({ value, label: DELIVERY_STATUS_LABELS[value] })),
          ]}
        />
        <div className="buttons refresh">
          <button
            type="button"
            className="secondary"
            disabled={fetching}
            aria-busy={fetching}
            onClick={() => reexecute({ requestPolicy: "network-only" })}
          >
            Refresh<span className="visually-hidden"> the deliveries</span>
          </button>
        </div>
      </div>
      {!connection ? (
        fetching ? (
          <p>Loading…</p>
        ) : (
          error && <p role="alert">Could not load the deliveries. Check your connection and reload.</p>
        )
      ) : deliveries.length === 0 ? (
        <p className="muted">
          {endpointId || status
            ? "No deliveries match."
            : "No deliveries yet. Each event of a type an endpoint asked for is delivered to it."}
        </p>
      ) : (
        <>
          <p className="muted" aria-live="polite" data-testid="delivery-count">
            {total === 1 ? "1 delivery" : `${total} deliveries`}
            {deliveries.length < total ? `, the newest ${deliveries.length} shown` : ", newest first"}
            {polling ? ". Pending ones update by themselves." : "."}
          </p>
          <ul className="deliveries">
            {deliveries.map((delivery) => (
              <DeliveryItem
                key={delivery.id}
                delivery={delivery}
                endpoint={byId.get(delivery.endpointId)}
                showEndpoint={endpointId === null}
                isNew={delivery.id === newId}
                newOnTop={status === null}
                onRedelivered={(next) => setNewId(next.id)}
              />
            ))}
          </ul>
          {connection.pageInfo.hasNextPage && first < MAX_SHOWN && (
            <button
              type="button"
              className="secondary"
              onClick={() => setShown({ filterKey, first: Math.min(first + PAGE_SIZE, MAX_SHOWN) })}
            >
              Show older deliveries
            </button>
          )}
        </>
      )}
    </>
  );
}

function parseStatus(value: string | null): WebhookDeliveryStatus | null {
  return DELIVERY_STATUSES.find((item) => item === value) ?? null;
}

export function WebhooksPage() {
  const [{ data, fetching, error }] = useQuery({
    query: WebhookEndpoints,
    context: ENDPOINTS_CONTEXT,
    requestPolicy: "cache-and-network",
  });
  const [params, setParams] = useSearchParams();
  const [created, setCreated] = useState<NewSecret | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const page = useRef<HTMLElement>(null);
  const endpointsHeading = useRef<HTMLHeadingElement>(null);
  const deliveriesHeading = useRef<HTMLHeadingElement>(null);
  const endpoints = data?.webhookEndpoints ?? [];
  // A filter by an endpoint that is gone (deleted) is no filter.
  const wanted = params.get("endpoint");
  const endpointId = data && endpoints.some((endpoint) => endpoint.id === wanted) ? wanted : null;
  const status = parseStatus(params.get("status"));

  function setFilter(name: "endpoint" | "status", value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  function focusEndpoint(id: string) {
    const heading = page.current?.querySelector<HTMLElement>(`[data-endpoint-heading="${CSS.escape(id)}"]`);
    (heading ?? endpointsHeading.current)?.focus();
  }

  return (
    <section aria-labelledby="webhooks-title" ref={page}>
      <h1 id="webhooks-title">Webhooks</h1>
      <p className="muted">
        The wallet POSTs your events to your server as they happen, signed the{" "}
        <a href="https://www.standardwebhooks.com">Standard Webhooks</a> way: check the <code>webhook-signature</code>{" "}
        header with the endpoint's signing secret, and drop repeats by <code>webhook-id</code>. A delivery that fails is
        tried again later, for about a day.
      </p>
      {created && (
        <NewSecretBox
          created={created}
          onDone={() => {
            const id = created.endpointId;
            setCreated(null);
            focusEndpoint(id);
          }}
        />
      )}
      <CreateEndpointForm
        onCreated={(next) => {
          setNotice(null);
          setCreated(next);
        }}
      />
      <h2 ref={endpointsHeading} tabIndex={-1}>
        Your endpoints
      </h2>
      <Notice>{notice}</Notice>
      {!data ? (
        fetching ? (
          <p>Loading…</p>
        ) : (
          error && <p role="alert">Could not load your endpoints. Check your connection and reload.</p>
        )
      ) : endpoints.length === 0 ? (
        <p className="muted">No endpoints yet.</p>
      ) : (
        <ul className="endpoints">
          {endpoints.map((endpoint) => (
            <EndpointItem
              key={endpoint.id}
              endpoint={endpoint}
              onChanged={setNotice}
              onRotated={(next) => {
                setNotice(null);
                setCreated(next);
              }}
              onDeleted={(url) => {
                if (created?.endpointId === endpoint.id) setCreated(null);
                if (wanted === endpoint.id) setFilter("endpoint", "");
                setNotice(`Deleted ${url} and its delivery log.`);
                endpointsHeading.current?.focus();
              }}
              onShowDeliveries={() => {
                setFilter("endpoint", endpoint.id);
                deliveriesHeading.current?.focus();
              }}
            />
          ))}
        </ul>
      )}
      <h2 ref={deliveriesHeading} tabIndex={-1}>
        Recent deliveries
      </h2>
      {data && <DeliveryLog endpoints={endpoints} endpointId={endpointId} status={status} onFilter={setFilter} />}
    </section>
  );
}
