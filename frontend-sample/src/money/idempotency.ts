import { useCallback, useState } from "react";

function newKey(): string {
  return crypto.randomUUID();
}

/**
 * The idempotency key of a money form. It is made when the form opens and made again whenever what the
 * form would send changes, so a new payment never replays an old one. It is kept while the outcome is
 * unknown (a network error, a double click, a retry), so the server moves the money at most once. Once the
 * server has answered, `settle()` makes a new one for the next payment.
 */
export function useIdempotencyKey(request: unknown): { key: string; settle: () => void } {
  const fingerprint = JSON.stringify(request);
  const [state, setState] = useState(() => ({ fingerprint, key: newKey() }));
  const settle = useCallback(() => setState((previous) => ({ ...previous, key: newKey() })), []);
  if (state.fingerprint !== fingerprint) {
    // What the form would send changed: this is another payment (React's "adjust state while rendering").
    const next = { fingerprint, key: newKey() };
    setState(next);
    return { key: next.key, settle };
  }
  return { key: state.key, settle };
}
