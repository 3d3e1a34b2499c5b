import { useId, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useQuery } from "urql";

import "../components/items.css";
import { ErrorSummary, Notice } from "../components/Alert";
import { Confirm, useReturnFocus } from "../components/Confirm";
import { Field, Select } from "../components/Field";
import { PagedItems, StatusFilter } from "../components/ItemList";
import { when } from "../components/TransactionList";
import { useLookAgain } from "../components/useLookAgain";
import { useCheckedForm } from "../components/useCheckedForm";
import { graphql } from "../gql";
import type { StandingOrderFieldsFragment, StandingOrderStatus } from "../gql/graphql";
import { formatMoney } from "../money/amount";
import { messageFor } from "../money/errors";
import { PARTY_HINT } from "../money/party";
import { useIdempotentAction } from "../money/useAction";
import {
  END_CHOICES,
  OCCURRENCE_STATUS_LABELS,
  ORDER_FIELD_NAMES,
  ORDER_FIELDS,
  ORDER_STATUS_LABELS,
  ORDER_STATUSES,
  REPEAT_LABELS,
  REPEATS,
  checkOrderForm,
  describeRepeat,
  nextOrderPollDelay,
  type EndChoice,
  type OrderField,
  type OrderFormValues,
} from "../schedules/schedules";

export const StandingOrderFields = graphql(`
  fragment StandingOrderFields on StandingOrder {
    id
    receiver
    amount
    currency
    note
    repeat
    dayOfMonth
    firstRunAt
    endsAt
    maxOccurrences
    status
    nextRunAt
    createdAt
    occurrences(first: 50) {
      totalCount
      edges {
        node {
          number
          dueAt
          ranAt
          status
          failureCode
          transaction {
            id
          }
        }
      }
    }
  }
`);

const StandingOrders = graphql(`
  query StandingOrders($status: StandingOrderStatus, $first: Int!) {
    standingOrders(status: $status, first: $first) {
      totalCount
      edges {
        node {
          ...StandingOrderFields
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);

const ScheduleTransfer = graphql(`
  mutation ScheduleTransfer($input: ScheduleTransferInput!) {
    scheduleTransfer(input: $input) {
      standingOrder {
        ...StandingOrderFields
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

export const PauseStandingOrder = graphql(`
  mutation PauseStandingOrder($id: ID!, $idempotencyKey: String!) {
    pauseStandingOrder(input: { id: $id, idempotencyKey: $idempotencyKey }) {
      standingOrder {
        ...StandingOrderFields
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

export const ResumeStandingOrder = graphql(`
  mutation ResumeStandingOrder($id: ID!, $idempotencyKey: String!) {
    resumeStandingOrder(input: { id: $id, idempotencyKey: $idempotencyKey }) {
      standingOrder {
        ...StandingOrderFields
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

export const CancelStandingOrder = graphql(`
  mutation CancelStandingOrder($id: ID!, $idempotencyKey: String!) {
    cancelStandingOrder(input: { id: $id, idempotencyKey: $idempotencyKey }) {
      standingOrder {
        ...StandingOrderFields
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
  "We could not reach the wallet, so we don't know whether the standing order was made. " +
  "Submitting again is safe: it will not be made twice.";
// The list is refetched after any mutation that returns an order, even while it is still empty.
const LIST_CONTEXT = { additionalTypenames: ["StandingOrder"] };
const ACTION_TYPENAMES = ["StandingOrder"];
const PAGE_SIZE = 20;
const MAX_SHOWN = 100;
const EMPTY_FORM: OrderFormValues = {
  receiver: "",
  amount: "",
  note: "",
  firstRunAt: "",
  repeat: "MONTHLY",
  dayOfMonth: "",
  ends: "never",
  endDate: "",
  count: "",
};

type Order = StandingOrderFieldsFragment;

/** The inputs the form shows for these values (the day and the end only where they apply). */
function shownFields(values: OrderFormValues): OrderField[] {
  const repeats = values.repeat !== "NONE";
  return ORDER_FIELDS.filter(
    (name) =>
      (name !== "dayOfMonth" || values.repeat === "MONTHLY") &&
      (name !== "endDate" || (repeats && values.ends === "date")) &&
      (name !== "count" || (repeats && values.ends === "count")),
  );
}

function OrderForm() {
  const id = useId();
  const { values, set, errors, outcome, fetching, form, submit } = useCheckedForm({
    empty: EMPTY_FORM,
    check: checkOrderForm,
    mutation: ScheduleTransfer,
    payload: (data) => data.scheduleTransfer,
    made: (payload) => payload.standingOrder,
    shown: shownFields,
    fieldNames: ORDER_FIELD_NAMES,
    success: (order) =>
      `Set up ${formatMoney(order.amount, order.currency)} to ${order.receiver}, ` +
      describeRepeat(order.repeat, order.dayOfMonth).toLowerCase() +
      (order.nextRunAt ? `, first on ${when(order.nextRunAt)}.` : "."),
    unknownOutcome: UNKNOWN_OUTCOME,
    additionalTypenames: LIST_CONTEXT.additionalTypenames,
  });
  const repeats = values.repeat !== "NONE";

  return (
    <form ref={form} onSubmit={submit} noValidate className="card form" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New standing order</h2>
      <ErrorSummary messages={errors.form} />
      <Field
        label="To"
        hint={PARTY_HINT}
        autoComplete="off"
        spellCheck={false}
        value={values.receiver}
        error={errors.fields.receiver}
        onChange={(event) => set("receiver", event.target.value)}
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
        hint="Optional: shown on each payment"
        autoComplete="off"
        value={values.note}
        error={errors.fields.note}
        onChange={(event) => set("note", event.target.value)}
      />
      <Field
        label="First payment"
        hint="Date and time, in your time zone"
        type="datetime-local"
        step={1}
        value={values.firstRunAt}
        error={errors.fields.firstRunAt}
        onChange={(event) => set("firstRunAt", event.target.value)}
      />
      <Select
        label="Repeat"
        value={values.repeat}
        options={REPEATS.map((value) => ({ value, label: REPEAT_LABELS[value] }))}
        onChange={(value) => set("repeat", value)}
      />
      {values.repeat === "MONTHLY" && (
        <Field
          label="Day of the month"
          hint="Optional: 1 to 31, the first payment's day if empty. A month without that day pays on its last day."
          inputMode="numeric"
          autoComplete="off"
          value={values.dayOfMonth}
          error={errors.fields.dayOfMonth}
          onChange={(event) => set("dayOfMonth", event.target.value)}
        />
      )}
      {repeats && (
        <Select
          label="Ends"
          value={values.ends}
          options={END_CHOICES}
          onChange={(value) => set("ends", value as EndChoice)}
        />
      )}
      {repeats && values.ends === "date" && (
        <Field
          label="Last day"
          hint="No payment is made after this day"
          type="date"
          value={values.endDate}
          error={errors.fields.endDate}
          onChange={(event) => set("endDate", event.target.value)}
        />
      )}
      {repeats && values.ends === "count" && (
        <Field
          label="Number of payments"
          inputMode="numeric"
          autoComplete="off"
          value={values.count}
          error={errors.fields.count}
          onChange={(event) => set("count", event.target.value)}
        />
      )}
      <button type="submit" disabled={fetching} aria-busy={fetching}>
        {fetching ? "Saving…" : "Set up standing order"}
      </button>
      <Notice>{outcome}</Notice>
    </form>
  );
}

function Occurrences({ order }: { order: Order }) {
  const occurrences = order.occurrences.edges.map((edge) => edge.node);
  const total = order.occurrences.totalCount;
  return (
    <details className="disclosure">
      <summary>
        Payments ({total})
        <span className="visually-hidden">
          , {formatMoney(order.amount, order.currency)} to {order.receiver}
        </span>
      </summary>
      {occurrences.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <div className="table-scroll">
          <table data-testid="occurrences">
            <caption className="visually-hidden">Each payment, newest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Due</th>
                <th scope="col">Outcome</th>
                <th scope="col">Payment</th>
              </tr>
            </thead>
            <tbody>
              {occurrences.map((occurrence) => (
                <tr
                  key={occurrence.number}
                  className={occurrence.status === "FAILED" ? "occurrence-failed" : undefined}
                >
                  <td className="num">{occurrence.number}</td>
                  <td>
                    <time dateTime={occurrence.dueAt}>{when(occurrence.dueAt)}</time>
                  </td>
                  <td data-testid="occurrence-status">
                    {OCCURRENCE_STATUS_LABELS[occurrence.status]}
                    {occurrence.status === "FAILED" && `: ${messageFor(occurrence.failureCode)}`}
                  </td>
                  <td>
                    {occurrence.transaction ? (
                      <Link to={`/transactions/${encodeURIComponent(occurrence.transaction.id)}`}>
                        View<span className="visually-hidden"> payment {occurrence.number}</span>
                      </Link>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {total > occurrences.length && <p className="muted">The newest {occurrences.length} are shown.</p>}
        </div>
      )}
    </details>
  );
}

function endsText(order: Order): string {
  if (order.repeat === "NONE") return "After one payment";
  const parts = [];
  if (order.endsAt) parts.push(`by ${when(order.endsAt)}`);
  if (order.maxOccurrences)
    parts.push(order.maxOccurrences === 1 ? "after 1 payment" : `after ${order.maxOccurrences} payments`);
  if (parts.length === 0) return "When you cancel it";
  const text = parts.join(" or ");
  return text[0].toUpperCase() + text.slice(1);
}

export function OrderItem({ order, onDone }: { order: Order; onDone: (message: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const { ref: cancelButton, returnFocus } = useReturnFocus<HTMLButtonElement>();
  const pause = useIdempotentAction(PauseStandingOrder, order.id, (data) => data.pauseStandingOrder, ACTION_TYPENAMES);
  const resume = useIdempotentAction(
    ResumeStandingOrder,
    order.id,
    (data) => data.resumeStandingOrder,
    ACTION_TYPENAMES,
  );
  const cancel = useIdempotentAction(
    CancelStandingOrder,
    order.id,
    (data) => data.cancelStandingOrder,
    ACTION_TYPENAMES,
  );
  const money = formatMoney(order.amount, order.currency);
  const title = `${money} to ${order.receiver}`;
  const live = order.status === "ACTIVE" || order.status === "PAUSED";
  const busy = pause.fetching || resume.fetching || cancel.fetching;
  const errors = [...pause.errors, ...resume.errors, ...cancel.errors];
  const toggle = order.status === "ACTIVE" ? pause : resume;

  function clear() {
    pause.clearErrors();
    resume.clearErrors();
    cancel.clearErrors();
  }

  async function confirmCancel() {
    if (await cancel.run()) return onDone(`Cancelled the standing order of ${title}. No more payments are made.`);
    setConfirming(false);
    returnFocus();
  }

  return (
    <li className={`card standing-order order-${order.status.toLowerCase()}`} data-testid="standing-order">
      <div className="item-title">
        <h3>{title}</h3>
        <span className={`badge badge-${order.status.toLowerCase()}`} data-testid="order-status">
          {ORDER_STATUS_LABELS[order.status]}
        </span>
      </div>
      <dl className="details">
        <dt>Repeats</dt>
        <dd>{describeRepeat(order.repeat, order.dayOfMonth)}</dd>
        {order.note && (
          <>
            <dt>Note</dt>
            <dd>{order.note}</dd>
          </>
        )}
        <dt>Next payment</dt>
        <dd data-testid="order-next-run">
          {order.status === "PAUSED" ? (
            "None while paused"
          ) : order.nextRunAt ? (
            <time dateTime={order.nextRunAt}>{when(order.nextRunAt)}</time>
          ) : (
            "None"
          )}
        </dd>
        <dt>First payment</dt>
        <dd>
          <time dateTime={order.firstRunAt}>{when(order.firstRunAt)}</time>
        </dd>
        <dt>Ends</dt>
        <dd>{endsText(order)}</dd>
      </dl>
      <Occurrences order={order} />
      <ErrorSummary messages={errors} />
      {live && !confirming && (
        <div className="buttons">
          <button
            type="button"
            className="secondary"
            disabled={busy}
            aria-busy={toggle.fetching}
            onClick={async () => {
              clear();
              if (await toggle.run())
                onDone(
                  order.status === "ACTIVE"
                    ? `Paused the standing order of ${title}: nothing is paid until you resume it.`
                    : `Resumed the standing order of ${title}.`,
                );
            }}
          >
            {order.status === "ACTIVE" ? "Pause" : "Resume"}
            <span className="visually-hidden"> {title}</span>
          </button>
          <button
            type="button"
            className="secondary"
            ref={cancelButton}
            disabled={busy}
            onClick={() => {
              clear();
              setConfirming(true);
            }}
          >
            Cancel<span className="visually-hidden"> {title}</span>
          </button>
        </div>
      )}
      {live && confirming && (
        <Confirm
          question={`Cancel the standing order of ${title}?`}
          confirmLabel="Yes, cancel it"
          cancelLabel="Keep it"
          danger
          busy={cancel.fetching}
          onConfirm={confirmCancel}
          onCancel={() => {
            setConfirming(false);
            returnFocus();
          }}
        >
          No more payments are made. This can't be undone.
        </Confirm>
      )}
    </li>
  );
}

function OrderList({ status, onFilter }: { status: StandingOrderStatus | null; onFilter: (value: string) => void }) {
  const [first, setFirst] = useState(PAGE_SIZE);
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: StandingOrders,
    variables: { status, first },
    context: LIST_CONTEXT,
    requestPolicy: "cache-and-network",
  });
  const connection = data?.standingOrders;
  const orders = connection?.edges.map((edge) => edge.node) ?? [];

  // While an active order is due within the minute, look again a second after it is due.
  useLookAgain(connection, (value) => nextOrderPollDelay(value.edges.map((edge) => edge.node)), reexecute);

  return (
    <>
      <h2 ref={heading} tabIndex={-1}>
        Your standing orders
      </h2>
      <StatusFilter
        name="standing orders"
        statuses={ORDER_STATUSES}
        labels={ORDER_STATUS_LABELS}
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
        count={orders.length}
        what="standing orders"
        empty={status ? "No standing orders match." : "No standing orders yet."}
        more={
          connection?.pageInfo.hasNextPage && first < MAX_SHOWN
            ? () => setFirst(Math.min(first + PAGE_SIZE, MAX_SHOWN))
            : null
        }
      >
        {orders.map((order) => (
          <OrderItem
            key={order.id}
            order={order}
            onDone={(message) => {
              setNotice(message);
              heading.current?.focus();
            }}
          />
        ))}
      </PagedItems>
    </>
  );
}

export function StandingOrdersPage() {
  const [params, setParams] = useSearchParams();
  const status = ORDER_STATUSES.find((item) => item === params.get("status")) ?? null;

  function filter(value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set("status", value);
    else next.delete("status");
    setParams(next, { replace: true });
  }

  return (
    <section aria-labelledby="standing-orders-title">
      <h1 id="standing-orders-title">Standing orders</h1>
      <p className="muted">
        Pay someone the same amount later, or every day, week or month. Each payment is made from your wallet when it is
        due; one that is refused (not enough money, say) is recorded as failed and the order goes on.
      </p>
      <OrderForm />
      <OrderList key={status ?? ""} status={status} onFilter={filter} />
    </section>
  );
}
