import { useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useQuery } from "urql";

import { Field, Select } from "../components/Field";
import { KIND_LABELS, STATUS_LABELS, TransactionList } from "../components/TransactionList";
import { useViewer } from "../components/Viewer";
import { graphql } from "../gql";
import type { TransactionKind, TransactionStatus } from "../gql/graphql";

const History = graphql(`
  query History(
    $first: Int!
    $after: String
    $kind: TransactionKind
    $status: TransactionStatus
    $reference: String
  ) {
    transactions(first: $first, after: $after, kind: $kind, status: $status, reference: $reference) {
      totalCount
      edges {
        node {
          ...TransactionRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const PAGE_SIZE = 20;

const KINDS = Object.keys(KIND_LABELS) as TransactionKind[];
const STATUSES = Object.keys(STATUS_LABELS) as TransactionStatus[];

function parse<T extends string>(value: string | null, allowed: readonly T[]): T | null {
  return allowed.find((item) => item === value) ?? null;
}

/** One page of history; the last one offers the next (urql's "one query per page" pattern). */
function HistoryChunk({
  after,
  kind,
  status,
  reference,
  isLast,
  onLoadMore,
}: {
  after: string | null;
  kind: TransactionKind | null;
  status: TransactionStatus | null;
  reference: string | null;
  isLast: boolean;
  onLoadMore: (cursor: string) => void;
}) {
  const viewer = useViewer();
  const [{ data, fetching, error }] = useQuery({
    query: History,
    variables: { first: PAGE_SIZE, after, kind, status, reference },
    requestPolicy: "cache-and-network",
  });
  if (!data) return fetching ? <p>Loading…</p> : error ? <p role="alert">Could not load your history.</p> : null;
  const { edges, pageInfo, totalCount } = data.transactions;
  return (
    <>
      {after === null && (
        <p className="muted" aria-live="polite">
          {totalCount === 1 ? "1 transaction" : `${totalCount} transactions`}
        </p>
      )}
      <TransactionList transactions={edges.map((edge) => edge.node)} viewer={viewer.username} />
      {isLast && pageInfo.hasNextPage && pageInfo.endCursor && (
        <button type="button" className="secondary" onClick={() => onLoadMore(pageInfo.endCursor!)}>
          Load more
        </button>
      )}
    </>
  );
}

/** The reference to look for: typed, then applied with Enter or "Filter" (not one query per keystroke). */
function ReferenceFilter({ value, onApply }: { value: string | null; onApply: (value: string) => void }) {
  const [draft, setDraft] = useState(value ?? "");
  const [applied, setApplied] = useState(value);
  const form = useRef<HTMLFormElement>(null);
  if (applied !== value) {
    // Back, forward or "Clear" changed the URL: the box shows what is applied.
    setApplied(value);
    setDraft(value ?? "");
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(draft.trim());
  }
  function clear() {
    onApply("");
    form.current?.querySelector("input")?.focus();
  }
  return (
    <form ref={form} role="search" className="reference-filter" onSubmit={submit}>
      <Field
        label="Reference"
        hint="The exact reference a payment was given"
        type="search"
        autoComplete="off"
        spellCheck={false}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
      />
      <div className="buttons">
        <button type="submit" className="secondary">
          Filter
        </button>
        {value && (
          <button type="button" className="secondary" onClick={clear}>
            Clear<span className="visually-hidden"> the reference filter</span>
          </button>
        )}
      </div>
    </form>
  );
}

export function HistoryPage() {
  const [params, setParams] = useSearchParams();
  const kind = parse(params.get("kind"), KINDS);
  const status = parse(params.get("status"), STATUSES);
  const reference = params.get("reference")?.trim() || null;
  const filterKey = JSON.stringify([kind, status, reference]);
  const [pages, setPages] = useState<{ filterKey: string; cursors: (string | null)[] }>({
    filterKey,
    cursors: [null],
  });
  const cursors = pages.filterKey === filterKey ? pages.cursors : [null];

  function setFilter(name: "kind" | "status" | "reference", value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <div className="filters card" role="group" aria-label="Filter history">
        <Select
          label="Kind"
          value={kind ?? ""}
          onChange={(value) => setFilter("kind", value)}
          options={[{ value: "", label: "All kinds" }, ...KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))]}
        />
        <Select
          label="Status"
          value={status ?? ""}
          onChange={(value) => setFilter("status", value)}
          options={[
            { value: "", label: "All statuses" },
            ...STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] })),
          ]}
        />
        <ReferenceFilter value={reference} onApply={(value) => setFilter("reference", value)} />
      </div>
      <div className="card">
        {cursors.map((after, index) => (
          <HistoryChunk
            key={`${filterKey}-${after ?? "first"}`}
            after={after}
            kind={kind}
            status={status}
            reference={reference}
            isLast={index === cursors.length - 1}
            onLoadMore={(cursor) => setPages({ filterKey, cursors: [...cursors, cursor] })}
          />
        ))}
      </div>
    </section>
  );
}
