import type { ApiKeyScope, CreateApiKeyInput } from "../gql/graphql";
import { isPrintable } from "../money/tags";

/** Every scope, in the order the form offers them; the compiler insists on each new one. */
export const SCOPE_LABELS: Record<ApiKeyScope, { label: string; description: string }> = {
  READ: { label: "Read", description: "Balance, history and transactions" },
  MOVE_MONEY: { label: "Move money", description: "Add, send, pay by mobile, withdraw" },
  HOLDS: { label: "Holds", description: "Reserve money, capture and void holds" },
  WEBHOOKS: { label: "Webhooks", description: "Manage webhook endpoints" },
};
export const SCOPES = Object.keys(SCOPE_LABELS) as ApiKeyScope[];

export const NAME_MAX_LENGTH = 100;
export const MAX_EXPIRY_DAYS = 3650;

export interface ApiKeyFormValues {
  name: string;
  scopes: readonly ApiKeyScope[];
  /** As typed; empty for a key that does not expire. */
  expiresInDays: string;
}

/** The form's inputs, named as the API's `errors[].field` names them. */
export type ApiKeyField = "name" | "scopes" | "expiresInDays";
export const API_KEY_FIELDS: readonly ApiKeyField[] = ["name", "scopes", "expiresInDays"];

export type ApiKeyFormCheck =
  | { ok: true; input: CreateApiKeyInput }
  | { ok: false; errors: Partial<Record<ApiKeyField, string>> };

/** The client's own checks of the create form (the server's rules); the server checks again. */
export function checkApiKeyForm(values: ApiKeyFormValues): ApiKeyFormCheck {
  const errors: Partial<Record<ApiKeyField, string>> = {};
  const name = values.name.trim();
  if (name === "") errors.name = "Enter a name for the key.";
  else if (name.length > NAME_MAX_LENGTH) errors.name = `Use at most ${NAME_MAX_LENGTH} characters.`;
  else if (!isPrintable(name)) errors.name = "Use letters, digits, spaces and punctuation only.";

  const scopes = SCOPES.filter((scope) => values.scopes.includes(scope));
  if (scopes.length === 0) errors.scopes = "Choose at least one thing the key may do.";

  const days = values.expiresInDays.trim();
  let expiresInDays: number | null = null;
  if (days !== "") {
    expiresInDays = /^\d{1,5}$/.test(days) ? Number(days) : NaN;
    if (!(expiresInDays >= 1 && expiresInDays <= MAX_EXPIRY_DAYS))
      errors.expiresInDays = `Enter a whole number of days from 1 to ${MAX_EXPIRY_DAYS}, or leave it empty.`;
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, input: { name, scopes, expiresInDays } };
}

export type ApiKeyState = "active" | "expired" | "revoked";

/** Whether a key still works: revoked wins over expired. */
export function apiKeyState(key: { revokedAt?: string | null; expiresAt?: string | null }, now = new Date()): ApiKeyState {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now.getTime()) return "expired";
  return "active";
}
