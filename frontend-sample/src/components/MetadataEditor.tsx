import { useEffect, useId, useRef } from "react";

import { METADATA_MAX_ROWS, type MetadataRow } from "../money/tags";

interface MetadataEditorProps {
  rows: readonly MetadataRow[];
  onChange: (rows: MetadataRow[]) => void;
  /** The message, and the input it is about (the first row's key when the server did not say). */
  error?: string;
  errorAt?: { row: number; part: "key" | "value" } | null;
}

/**
 * Key/value rows for a movement's metadata, at most a few. Adding a row moves focus to its key; removing one
 * moves focus to the row that takes its place, or to "Add a field" when none is left.
 */
export function MetadataEditor({ rows, onChange, error, errorAt }: MetadataEditorProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const group = useRef<HTMLFieldSetElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const focusNext = useRef<number | null>(null);
  const target = error ? (errorAt ?? { row: 0, part: "key" as const }) : null;

  useEffect(() => {
    if (focusNext.current === null) return;
    const row = focusNext.current;
    focusNext.current = null;
    const input = group.current?.querySelector<HTMLInputElement>(`[data-row="${row}"][data-part="key"]`);
    (input ?? addButton.current)?.focus();
  }, [rows.length]);

  function update(row: number, part: "key" | "value", text: string) {
    onChange(rows.map((item, index) => (index === row ? { ...item, [part]: text } : item)));
  }

  function add() {
    focusNext.current = rows.length;
    onChange([...rows, { key: "", value: "" }]);
  }

  function remove(row: number) {
    focusNext.current = Math.min(row, rows.length - 2);
    onChange(rows.filter((_, index) => index !== row));
  }

  const describedBy = (row: number, part: "key" | "value") =>
    [hintId, target?.row === row && target.part === part ? errorId : null].filter(Boolean).join(" ");

  return (
    <fieldset ref={group} className="field metadata" aria-describedby={error ? `${hintId} ${errorId}` : hintId}>
      <legend>Metadata</legend>
      <p className="hint" id={hintId}>
        Optional: up to {METADATA_MAX_ROWS} values of yours, like order_id = 1234. Keys use letters, digits and _ . : -
      </p>
      {rows.length > 0 && (
        <ol className="metadata-rows">
          {rows.map((item, row) => (
            <li key={row} className="metadata-row">
              <label htmlFor={`${id}-key-${row}`}>
                Key<span className="visually-hidden"> {row + 1}</span>
              </label>
              <input
                id={`${id}-key-${row}`}
                data-row={row}
                data-part="key"
                autoComplete="off"
                spellCheck={false}
                value={item.key}
                aria-invalid={target?.row === row && target.part === "key" ? true : undefined}
                aria-describedby={describedBy(row, "key")}
                onChange={(event) => update(row, "key", event.target.value)}
              />
              <label htmlFor={`${id}-value-${row}`}>
                Value<span className="visually-hidden"> {row + 1}</span>
              </label>
              <input
                id={`${id}-value-${row}`}
                data-row={row}
                data-part="value"
                autoComplete="off"
                value={item.value}
                aria-invalid={target?.row === row && target.part === "value" ? true : undefined}
                aria-describedby={describedBy(row, "value")}
                onChange={(event) => update(row, "value", event.target.value)}
              />
              <button type="button" className="secondary" onClick={() => remove(row)}>
                Remove<span className="visually-hidden"> field {row + 1}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
      {error && (
        <p className="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
      {rows.length < METADATA_MAX_ROWS && (
        <button ref={addButton} type="button" className="secondary add-row" onClick={add}>
          Add a field
        </button>
      )}
    </fieldset>
  );
}
