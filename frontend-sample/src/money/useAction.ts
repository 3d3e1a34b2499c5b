import { useRef, useState } from "react";
import { useMutation, type TypedDocumentNode } from "urql";

import { mapErrors, type ApiUserError } from "./errors";
import { useIdempotencyKey } from "./idempotency";

export const UNKNOWN_ACTION_OUTCOME =
  "We could not reach the wallet, so we don't know whether this went through. " +
  "Trying again is safe: it will not be done twice.";

type ActionVariables = { id: string; idempotencyKey: string };

/**
 * One button's action on one object (approve a request, pause a standing order), idempotent like a money
 * form: its key is kept while the outcome is unknown, so a retry after a lost answer replays instead of
 * doing it twice, and a new one is made once the server has answered. A click while one is in flight sends
 * nothing. `run` resolves to the payload when the server did it, or null (its errors are then in `errors`).
 */
export function useIdempotentAction<Data, Payload extends { errors: readonly ApiUserError[] }>(
  mutation: TypedDocumentNode<Data, ActionVariables>,
  id: string,
  payload: (data: Data) => Payload,
  additionalTypenames: string[] = [],
) {
  const [{ fetching }, execute] = useMutation(mutation);
  const { key, settle } = useIdempotencyKey({ id });
  const [errors, setErrors] = useState<string[]>([]);
  const inFlight = useRef(false);

  async function run(): Promise<Payload | null> {
    if (inFlight.current) return null;
    inFlight.current = true;
    try {
      const result = await execute({ id, idempotencyKey: key }, { requestPolicy: "network-only", additionalTypenames });
      if (!result.data) {
        setErrors([UNKNOWN_ACTION_OUTCOME]);
        return null;
      }
      settle();
      const answer = payload(result.data);
      setErrors(mapErrors(answer.errors, []).form);
      return answer.errors.length > 0 ? null : answer;
    } finally {
      inFlight.current = false;
    }
  }

  return { run, fetching, errors, clearErrors: () => setErrors([]) };
}
