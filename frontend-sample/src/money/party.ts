import type { ApiUserError } from "./errors";

/** Who to pay or ask: a username, or a mobile number (it starts with "+", like +14155550123). */
export type PartyCheck =
  { ok: true; username: string | null; mobileNumber: string | null } | { ok: false; message: string };

export const PARTY_HINT = "A username, or a mobile number with its country code, like +14155550123";

export function checkParty(raw: string): PartyCheck {
  const text = raw.trim();
  if (text === "") return { ok: false, message: "Enter a username or a mobile number." };
  if (!text.startsWith("+")) return { ok: true, username: text, mobileNumber: null };
  // Spaces, dashes and brackets people type in a number are not part of it.
  const mobileNumber = text.replace(/[\s\-().]/g, "");
  if (!/^\+\d{6,15}$/.test(mobileNumber))
    return { ok: false, message: "Enter a mobile number with its country code, like +14155550123." };
  return { ok: true, username: null, mobileNumber };
}

/** The API names an input by what it is on the wire; a form may show several of those in one input. */
export function renameFields(errors: readonly ApiUserError[], names: Readonly<Record<string, string>>): ApiUserError[] {
  return errors.map((error) => (error.field && names[error.field] ? { ...error, field: names[error.field] } : error));
}
