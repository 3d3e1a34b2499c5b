/**
 * What a client may attach to a movement: its own `reference` (an order id, unique among its movements that
 * took effect) and `metadata` (a flat map of its strings). The rules are the server's (wallet/validation.py);
 * checking them here says what is wrong before anything is sent, and the server checks again.
 */

export const REFERENCE_MAX_LENGTH = 100;
/** The server takes up to 20 keys; a form offers a few. */
export const METADATA_MAX_ROWS = 5;
export const METADATA_KEY_MAX_LENGTH = 40;
export const METADATA_VALUE_MAX_LENGTH = 500;
const METADATA_KEY = /^[A-Za-z0-9_.:-]{1,40}$/;

export interface MetadataRow {
  key: string;
  value: string;
}

/** What a money mutation's input gets: null when the form left it empty. */
export interface Tags {
  reference: string | null;
  metadata: Record<string, string> | null;
}

export type ReferenceCheck = { ok: true; reference: string | null } | { ok: false; message: string };

export type MetadataCheck =
  | { ok: true; metadata: Record<string, string> | null }
  | { ok: false; message: string; row: number; part: "key" | "value" };

/** As Python's str.isprintable(): no control or format characters, and no separator but the plain space. */
export function isPrintable(text: string): boolean {
  for (const char of text) if (char !== " " && /[\p{C}\p{Z}]/u.test(char)) return false;
  return true;
}

export function checkReference(input: string): ReferenceCheck {
  const reference = input.trim();
  if (reference === "") return { ok: true, reference: null };
  if (reference.length > REFERENCE_MAX_LENGTH)
    return { ok: false, message: `Use at most ${REFERENCE_MAX_LENGTH} characters (this has ${reference.length}).` };
  if (!isPrintable(reference)) return { ok: false, message: "Use letters, digits, spaces and punctuation only." };
  return { ok: true, reference };
}

/**
 * The metadata rows of a form as the object the API takes: keys and values trimmed, rows left wholly empty
 * skipped, null when none is left. The first problem found is reported with the row and input at fault.
 */
export function checkMetadata(rows: readonly MetadataRow[]): MetadataCheck {
  const metadata: Record<string, string> = {};
  let count = 0;
  for (const [row, raw] of rows.entries()) {
    const key = raw.key.trim();
    const value = raw.value.trim();
    if (key === "" && value === "") continue;
    if (key === "") return { ok: false, message: "Give this value a key, or clear it.", row, part: "key" };
    if (!METADATA_KEY.test(key)) {
      const message =
        key.length > METADATA_KEY_MAX_LENGTH
          ? `Use at most ${METADATA_KEY_MAX_LENGTH} characters for a key.`
          : "Use only letters, digits and _ . : - in a key (no spaces).";
      return { ok: false, message, row, part: "key" };
    }
    if (Object.hasOwn(metadata, key)) return { ok: false, message: `The key “${key}” is used twice.`, row, part: "key" };
    if (value.length > METADATA_VALUE_MAX_LENGTH)
      return { ok: false, message: `Use at most ${METADATA_VALUE_MAX_LENGTH} characters for a value.`, row, part: "value" };
    if (!isPrintable(value))
      return { ok: false, message: "Use letters, digits, spaces and punctuation only.", row, part: "value" };
    metadata[key] = value;
    count += 1;
  }
  return { ok: true, metadata: count > 0 ? metadata : null };
}

/** What the rows would send, for the idempotency key: a changed row is a changed request. */
export function metadataFingerprint(rows: readonly MetadataRow[]): [string, string][] {
  return rows
    .map((row): [string, string] => [row.key.trim(), row.value.trim()])
    .filter(([key, value]) => key !== "" || value !== "");
}

/** A transaction's metadata (the JSON scalar) as sorted [key, value] pairs; anything but an object is none. */
export function metadataEntries(metadata: unknown): [string, string][] {
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return [];
  return Object.entries(metadata as Record<string, unknown>)
    .map(([key, value]): [string, string] => [key, typeof value === "string" ? value : JSON.stringify(value)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
