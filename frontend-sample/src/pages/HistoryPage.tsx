import { useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useQuery } from "urql";

import { Field, Select, useFocusFirstInvalid } from "../components/Field";
import { KIND_LABELS, STATUS_LABELS, TransactionList } from "../components/TransactionList";
import { useViewer } from "../components/Viewer";
import { graphql } from "../gql";
import type { TransactionDirection, TransactionKind, TransactionStatus } from "../gql/graphql";
import {
  checkSearch,
  EMPTY_SEARCH,
  isSearching,
  NOTE_MAX_LENGTH,
  searchFromParams,
  searchVariables,
  withSearch,
  type SearchErrors,
  type SearchValues,
  type SearchVariables,
} from "../history/search";
import { badUserInput } from "../money/errors";

const History = graphql(`
  query History(
    $first: Int!
    $after: String
    $kind: TransactionKind
    $status: TransactionStatus
    $reference: String
    $direction: TransactionDirection
    $createdFrom: DateTime
    $createdTo: DateTime
    $minAmount: Decimal
    $maxAmount: Decimal
    $counterparty: String
    $noteContains: String
  ) {
    transactions(
      first: $first
      after: $after
      kind: $kind
      status: $status
      reference: $reference
      direction: $direction
      createdFrom: $createdFrom
      createdTo: $createdTo
      minAmount: $minAmount
      maxAmount: $maxAmount
      counterparty: $counterparty
      noteContains: $noteContains
    ) {
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
const DIRECTION_LABELS: Record<TransactionDirection, string> = { IN: "Money in", OUT: "Money out" };
const DIRECTIONS = Object.keys(DIRECTION_LABELS) as TransactionDirection[];

function parse<T extends string>(value: string | null, allowed: readonly T[]): T | null {
  return allowed.find((item) => item === value) ?? null;
}

/** One page of history; the last one offers the next (urql's "one query per page" pattern). */
function HistoryChunk({
  after,
  kind,
  status,
  reference,
  direction,
  search,
  isLast,
  onLoadMore,
}: {
  after: string | null;
  kind: TransactionKind | null;
  status: TransactionStatus | null;
  reference: string | null;
  direction: TransactionDirection | null;
  search: SearchVariables;
  isLast: boolean;
  onLoadMore: (cursor: string) => void;
}) {
  const viewer = useViewer();
  const [{ data, fetching, error }] = useQuery({
    query: History,
    variables: { first: PAGE_SIZE, after, kind, status, reference, direction, ...search },
    requestPolicy: "cache-and-network",
  });
  if (!data) {
    if (fetching) return <p>Loading…</p>;
    // A filter the server refused (typed into the URL, or a rule only it knows): its own words.
    const refused = badUserInput(error);
    if (refused)
      return (
        <p role="alert" className="alert alert-error">
          The search was refused: {refused}
        </p>
      );
    return error ? <p role="alert">Could not load your history.</p> : null;
  }
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

/**
 * Dates, amounts, the other side and the note: checked here first (an inverted range is said next to its end
 * before anything is sent), then applied together with "Search", and kept in the URL.
 */
export function SearchFilters({ value, onApply }: { value: SearchValues; onApply: (values: SearchValues) => void }) {
  const [draft, setDraft] = useState(value);
  const [applied, setApplied] = useState(value);
  const [errors, setErrors] = useState<SearchErrors>({});
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, errors);
  if (JSON.stringify(applied) !== JSON.stringify(value)) {
    // Back, forward or "Clear search" changed the URL: the form shows what is applied.
    setApplied(value);
    setDraft(value);
    setErrors({});
  }
  function field(name: keyof SearchValues) {
    return {
      value: draft[name],
      error: errors[name],
      onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }),
    };
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    const found = checkSearch(draft);
    setErrors(found);
    if (Object.keys(found).length === 0) onApply(draft);
  }
  function clear() {
    onApply(EMPTY_SEARCH);
    form.current?.querySelector("input")?.focus();
  }
  return (
    <form ref={form} role="search" aria-label="Search history" className="search-filters" onSubmit={submit} noValidate>
      <fieldset className="pair">
        <legend>Date (both days included)</legend>
        <Field label="From" type="date" {...field("from")} />
        <Field label="To" type="date" {...field("to")} />
      </fieldset>
      <fieldset className="pair">
        <legend>Amount</legend>
        <Field label="Lowest amount" inputMode="decimal" autoComplete="off" {...field("min")} />
        <Field label="Highest amount" inputMode="decimal" autoComplete="off" {...field("max")} />
      </fieldset>
      <Field
        label="Counterparty"
        hint="The other side's username"
        autoComplete="off"
        spellCheck={false}
        {...field("counterparty")}
      />
      <Field
        label="Note contains"
        hint="Any part of it, in any case"
        type="search"
        maxLength={NOTE_MAX_LENGTH}
        autoComplete="off"
        {...field("note")}
      />
      <div className="buttons">
        <button type="submit" className="secondary">
          Search
        </button>
        {isSearching(value) && (
          <button type="button" className="secondary" onClick={clear}>
            Clear search
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
  const direction = parse(params.get("direction"), DIRECTIONS);
  const search = searchFromParams(params);
  const variables = searchVariables(search);
  const filterKey = JSON.stringify([kind, status, reference, direction, variables]);
  const [pages, setPages] = useState<{ filterKey: string; cursors: (string | null)[] }>({
    filterKey,
    cursors: [null],
  });
  const cursors = pages.filterKey === filterKey ? pages.cursors : [null];

  function setFilter(name: "kind" | "status" | "reference" | "direction", value: string) {
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
        <Select
          label="Direction"
          value={direction ?? ""}
          onChange={(value) => setFilter("direction", value)}
          options={[
            { value: "", label: "In and out" },
            ...DIRECTIONS.map((d) => ({ value: d, label: DIRECTION_LABELS[d] })),
          ]}
        />
        <ReferenceFilter value={reference} onApply={(value) => setFilter("reference", value)} />
        <SearchFilters value={search} onApply={(values) => setParams(withSearch(params, values), { replace: true })} />
      </div>
      <div className="card">
        {cursors.map((after, index) => (
          <HistoryChunk
            key={`${filterKey}-${after ?? "first"}`}
            after={after}
            kind={kind}
            status={status}
            reference={reference}
            direction={direction}
            search={variables}
            isLast={index === cursors.length - 1}
            onLoadMore={(cursor) => setPages({ filterKey, cursors: [...cursors, cursor] })}
          />
        ))}
      </div>
    </section>
  );
}
