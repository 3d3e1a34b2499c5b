import type { ReactNode } from "react";

import { Select } from "./Field";

/** A list's status filter and its Refresh button. */
export function StatusFilter<S extends string>({
  name,
  statuses,
  labels,
  status,
  onFilter,
  fetching,
  onRefresh,
}: {
  /** What the list holds, for the group's and the button's accessible names. */
  name: string;
  statuses: readonly S[];
  labels: Record<S, string>;
  status: S | null;
  onFilter: (value: string) => void;
  fetching: boolean;
  onRefresh: () => void;
}) {
  return (
    <div className="filters card item-filters" role="group" aria-label={`Filter: ${name}`}>
      <Select
        label="Status"
        value={status ?? ""}
        onChange={onFilter}
        options={[{ value: "", label: "All statuses" }, ...statuses.map((value) => ({ value, label: labels[value] }))]}
      />
      <div className="buttons refresh">
        <button type="button" className="secondary" disabled={fetching} aria-busy={fetching} onClick={onRefresh}>
          Refresh<span className="visually-hidden"> {name}</span>
        </button>
      </div>
    </div>
  );
}

/** A page of a connection: loading, failed, empty, or its items with a button for older ones. */
export function PagedItems({
  loaded,
  fetching,
  failed,
  count,
  what,
  empty,
  more,
  children,
}: {
  loaded: boolean;
  fetching: boolean;
  failed: boolean;
  count: number;
  /** "requests", "standing orders". */
  what: string;
  empty: string;
  /** Shows older items, when there are more to show. */
  more: (() => void) | null;
  children: ReactNode;
}) {
  if (!loaded) {
    if (fetching) return <p>Loading…</p>;
    return failed ? <p role="alert">Could not load the {what}. Check your connection and reload.</p> : null;
  }
  if (count === 0) return <p className="muted">{empty}</p>;
  return (
    <>
      <ul className="item-list">{children}</ul>
      {more && (
        <button type="button" className="secondary" onClick={more}>
          Show older {what}
        </button>
      )}
    </>
  );
}
