import { useId, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useQuery } from "urql";

import "../components/items.css";
import { ErrorSummary, Notice } from "../components/Alert";
import { Confirm, useReturnFocus } from "../components/Confirm";
import { Field, Select } from "../components/Field";
import { PagedItems, StatusFilter } from "../components/ItemList";
import { when } from "../components/TransactionList";
import { useCheckedForm } from "../components/useCheckedForm";
import { graphql } from "../gql";
import type { PaymentRequestFieldsFragment, PaymentRequestRole, PaymentRequestStatus } from "../gql/graphql";
import { formatMoney } from "../money/amount";
import { PARTY_HINT } from "../money/party";
import { useIdempotentAction } from "../money/useAction";
import {
  EXPIRY_CHOICES,
  MAX_EXPIRY_HOURS,
  REQUEST_FIELD_NAMES,
  REQUEST_FIELDS,
  REQUEST_STATUS_LABELS,
  REQUEST_STATUSES,
  checkRequestForm,
  type RequestFormValues,
} from "../requests/requests";

export const PaymentRequestFields = graphql(`
  fragment PaymentRequestFields on PaymentRequest {
    id
    amount
    currency
    note
    status
    requester
    payer
    createdAt
    expiresAt
    resolvedAt
    transaction {
      id
      status
    }
  }
`);

const PaymentRequests = graphql(`
  query PaymentRequests($role: PaymentRequestRole!, $status: PaymentRequestStatus, $first: Int!) {
    paymentRequests(role: $role, status: $status, first: $first) {
      totalCount
      edges {
        node {
          ...PaymentRequestFields
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);

const RequestPayment = graphql(`
  mutation RequestPayment($input: RequestPaymentInput!) {
    requestPayment(input: $input) {
      paymentRequest {
        ...PaymentRequestFields
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

export const ApprovePaymentRequest = graphql(`
  mutation ApprovePaymentRequest($id: ID!, $idempotencyKey: String!) {
    approvePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {
      paymentRequest {
        ...PaymentRequestFields
      }
      transaction {
        id
        status
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

export const DeclinePaymentRequest = graphql(`
  mutation DeclinePaymentRequest($id: ID!, $idempotencyKey: String!) {
    declinePaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {
      paymentRequest {
        ...PaymentRequestFields
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

export const CancelPaymentRequest = graphql(`
  mutation CancelPaymentRequest($id: ID!, $idempotencyKey: String!) {
    cancelPaymentRequest(input: { id: $id, idempotencyKey: $idempotencyKey }) {
      paymentRequest {
        ...PaymentRequestFields
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const UNKNOWN_OUTCOME =
  "We could not reach the wallet, so we don't know whether the request was made. " +
  "Submitting again is safe: it will not ask twice.";
// The lists are refetched after any mutation that returns a request, even while they are still empty.
const LIST_CONTEXT = { additionalTypenames: ["PaymentRequest"] };
// Paying moves money: every balance and history on screen is looked at again.
const MONEY_TYPENAMES = ["PaymentRequest", "Wallet", "Transaction"];
const PAGE_SIZE = 20;
const MAX_SHOWN = 100;
const EMPTY_FORM: RequestFormValues = { payer: "", amount: "", note: "", expiry: "86400", hours: "" };

type Request = PaymentRequestFieldsFragment;

function RequestForm() {
  const id = useId();
  const { values, set, errors, outcome, fetching, form, submit } = useCheckedForm({
    empty: EMPTY_FORM,
    check: checkRequestForm,
    mutation: RequestPayment,
    payload: (data) => data.requestPayment,
    made: (payload) => payload.paymentRequest,
    shown: () => REQUEST_FIELDS,
    fieldNames: REQUEST_FIELD_NAMES,
    success: (request) =>
      `Asked ${request.payer} for ${formatMoney(request.amount, request.currency)}, until ${when(request.expiresAt)}.`,
    unknownOutcome: UNKNOWN_OUTCOME,
    additionalTypenames: LIST_CONTEXT.additionalTypenames,
  });

  return (
    <form ref={form} onSubmit={submit} noValidate className="card form" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Ask for money</h2>
      <ErrorSummary messages={errors.form} />
      <Field
        label="From"
        hint={PARTY_HINT}
        autoComplete="off"
        spellCheck={false}
        value={values.payer}
        error={errors.fields.payer}
        onChange={(event) => set("payer", event.target.value)}
      />
      <Field
        label="Amount"
        inputMode="decimal"
        autoComplete="off"
        value={values.amount}
        error={errors.fields.amount}
        onChange={(event) => set("amount", event.target.value)}
      />
      <Field
        label="Note"
        hint="Optional: what it is for"
        autoComplete="off"
        value={values.note}
        error={errors.fields.note}
        onChange={(event) => set("note", event.target.value)}
      />
      <Select
        label="Expires in"
        value={values.expiry}
        options={EXPIRY_CHOICES}
        onChange={(value) => set("expiry", value)}
      />
      {values.expiry === "custom" ? (
        <Field
          label="Hours"
          hint={`From 1 to ${MAX_EXPIRY_HOURS}`}
          inputMode="numeric"
          autoComplete="off"
          value={values.hours}
          error={errors.fields.expiry}
          onChange={(event) => set("hours", event.target.value)}
        />
      ) : (
        errors.fields.expiry && <ErrorSummary messages={[errors.fields.expiry]} />
      )}
      <button type="submit" disabled={fetching} aria-busy={fetching}>
        {fetching ? "Sending…" : "Request money"}
      </button>
      <Notice>{outcome}</Notice>
    </form>
  );
}

export function RequestItem({
  request,
  role,
  onDone,
}: {
  request: Request;
  role: PaymentRequestRole;
  onDone: (message: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const { ref: approveButton, returnFocus } = useReturnFocus<HTMLButtonElement>();
  const approve = useIdempotentAction(
    ApprovePaymentRequest,
    request.id,
    (data) => data.approvePaymentRequest,
    MONEY_TYPENAMES,
  );
  const decline = useIdempotentAction(DeclinePaymentRequest, request.id, (data) => data.declinePaymentRequest, [
    "PaymentRequest",
  ]);
  const cancel = useIdempotentAction(CancelPaymentRequest, request.id, (data) => data.cancelPaymentRequest, [
    "PaymentRequest",
  ]);
  const money = formatMoney(request.amount, request.currency);
  const incoming = role === "INCOMING";
  const title = incoming ? `${request.requester} asks you for ${money}` : `You asked ${request.payer} for ${money}`;
  const pending = request.status === "PENDING";
  const busy = approve.fetching || decline.fetching || cancel.fetching;
  const errors = [...approve.errors, ...decline.errors, ...cancel.errors];

  function clear() {
    approve.clearErrors();
    decline.clearErrors();
    cancel.clearErrors();
  }

  async function pay() {
    const paid = await approve.run();
    if (paid) return onDone(`Paid ${money} to ${request.requester}.${paid.replayed ? " (already done earlier)" : ""}`);
    setConfirming(false);
    returnFocus();
  }

  return (
    <li className={`card payment-request request-${request.status.toLowerCase()}`} data-testid="payment-request">
      <div className="item-title">
        <h3>{title}</h3>
        <span className={`badge badge-${request.status.toLowerCase()}`} data-testid="request-status">
          {REQUEST_STATUS_LABELS[request.status]}
        </span>
      </div>
      <dl className="details">
        {request.note && (
          <>
            <dt>Note</dt>
            <dd>{request.note}</dd>
          </>
        )}
        <dt>Asked</dt>
        <dd>
          <time dateTime={request.createdAt}>{when(request.createdAt)}</time>
        </dd>
        {(pending || request.status === "EXPIRED") && (
          <>
            <dt>{pending ? "Expires" : "Expired"}</dt>
            <dd>
              <time dateTime={request.expiresAt}>{when(request.expiresAt)}</time>
            </dd>
          </>
        )}
        {request.resolvedAt && request.status !== "EXPIRED" && (
          <>
            <dt>{REQUEST_STATUS_LABELS[request.status]}</dt>
            <dd>
              <time dateTime={request.resolvedAt}>{when(request.resolvedAt)}</time>
            </dd>
          </>
        )}
        {request.transaction && (
          <>
            <dt>Payment</dt>
            <dd>
              <Link
                to={`/transactions/${encodeURIComponent(request.transaction.id)}`}
                data-testid="request-transaction"
              >
                View transaction
              </Link>
            </dd>
          </>
        )}
      </dl>
      <ErrorSummary messages={errors} />
      {pending && incoming && !confirming && (
        <div className="buttons">
          <button
            type="button"
            ref={approveButton}
            disabled={busy}
            onClick={() => {
              clear();
              setConfirming(true);
            }}
          >
            Approve<span className="visually-hidden"> {title}</span>
          </button>
          <button
            type="button"
            className="secondary"
            disabled={busy}
            aria-busy={decline.fetching}
            onClick={async () => {
              clear();
              if (await decline.run()) onDone(`Declined ${request.requester}'s request for ${money}.`);
            }}
          >
            Decline<span className="visually-hidden"> {title}</span>
          </button>
        </div>
      )}
      {pending && incoming && confirming && (
        <Confirm
          question={`Pay ${money} to ${request.requester}?`}
          confirmLabel={`Yes, pay ${money}`}
          cancelLabel="Not now"
          busy={approve.fetching}
          onConfirm={pay}
          onCancel={() => {
            setConfirming(false);
            returnFocus();
          }}
        >
          {request.note ? `For “${request.note}”. ` : ""}The money leaves your wallet at once.
        </Confirm>
      )}
      {pending && !incoming && (
        <div className="buttons">
          <button
            type="button"
            className="secondary"
            disabled={busy}
            aria-busy={cancel.fetching}
            onClick={async () => {
              clear();
              if (await cancel.run()) onDone(`Cancelled your request to ${request.payer} for ${money}.`);
            }}
          >
            Cancel request<span className="visually-hidden"> {title}</span>
          </button>
        </div>
      )}
    </li>
  );
}

function RequestList({
  role,
  status,
  onFilter,
}: {
  role: PaymentRequestRole;
  status: PaymentRequestStatus | null;
  onFilter: (value: string) => void;
}) {
  const [first, setFirst] = useState(PAGE_SIZE);
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: PaymentRequests,
    variables: { role, status, first },
    context: LIST_CONTEXT,
    requestPolicy: "cache-and-network",
  });
  const connection = data?.paymentRequests;
  const requests = connection?.edges.map((edge) => edge.node) ?? [];
  const incoming = role === "INCOMING";
  const name = incoming ? "Asked of you" : "You asked";

  return (
    <section
      aria-labelledby={`requests-${role}`}
      className="request-list"
      data-testid={`requests-${role.toLowerCase()}`}
    >
      <h2 id={`requests-${role}`} ref={heading} tabIndex={-1}>
        {name}
      </h2>
      <StatusFilter
        name={name}
        statuses={REQUEST_STATUSES}
        labels={REQUEST_STATUS_LABELS}
        status={status}
        onFilter={onFilter}
        fetching={fetching}
        onRefresh={() => reexecute({ requestPolicy: "network-only" })}
      />
      <Notice>{notice}</Notice>
      <PagedItems
        loaded={Boolean(connection)}
        fetching={fetching}
        failed={Boolean(error)}
        count={requests.length}
        what="requests"
        empty={
          status
            ? "No requests match."
            : incoming
              ? "No one has asked you for money yet."
              : "You haven't asked anyone yet."
        }
        more={
          connection?.pageInfo.hasNextPage && first < MAX_SHOWN
            ? () => setFirst(Math.min(first + PAGE_SIZE, MAX_SHOWN))
            : null
        }
      >
        {requests.map((request) => (
          <RequestItem
            key={request.id}
            request={request}
            role={role}
            onDone={(message) => {
              setNotice(message);
              heading.current?.focus();
            }}
          />
        ))}
      </PagedItems>
    </section>
  );
}

function parseStatus(value: string | null): PaymentRequestStatus | null {
  return REQUEST_STATUSES.find((item) => item === value) ?? null;
}

export function RequestsPage() {
  const [params, setParams] = useSearchParams();

  function filter(name: "incoming" | "outgoing") {
    return (value: string) => {
      const next = new URLSearchParams(params);
      if (value) next.set(name, value);
      else next.delete(name);
      setParams(next, { replace: true });
    };
  }

  const incoming = parseStatus(params.get("incoming"));
  const outgoing = parseStatus(params.get("outgoing"));
  return (
    <section aria-labelledby="requests-title">
      <h1 id="requests-title">Payment requests</h1>
      <p className="muted">
        Ask someone for money, and pay or decline what others ask of you. Nothing moves until the payer approves.
      </p>
      <RequestForm />
      <div className="request-lists">
        <RequestList key={`in-${incoming}`} role="INCOMING" status={incoming} onFilter={filter("incoming")} />
        <RequestList key={`out-${outgoing}`} role="OUTGOING" status={outgoing} onFilter={filter("outgoing")} />
      </div>
    </section>
  );
}
