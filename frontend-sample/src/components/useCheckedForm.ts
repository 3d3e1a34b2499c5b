import { useEffect, useRef, useState, type FormEvent } from "react";
import { useMutation, type TypedDocumentNode } from "urql";

import { mapErrors, type ApiUserError, type FormErrors } from "../money/errors";
import { useIdempotencyKey } from "../money/idempotency";
import { renameFields } from "../money/party";

export type FormCheck<Input, F extends string> =
  { ok: true; input: Input } | { ok: false; errors: Partial<Record<F, string>> };

interface CheckedFormOptions<Values, F extends string, Input, Data, Payload, Made> {
  empty: Values;
  /** The client's own checks, turning the inputs into the mutation's input (without its key). */
  check: (values: Values) => FormCheck<Input, F>;
  mutation: TypedDocumentNode<Data, { input: Input & { idempotencyKey: string } }>;
  payload: (data: Data) => Payload;
  /** What the mutation made, from its payload (null when refused). */
  made: (payload: Payload) => Made | null | undefined;
  /** The inputs on screen now: an error on one of them goes next to it, any other on the form. */
  shown: (values: Values) => readonly F[];
  /** The API's `errors[].field` names of inputs the form shows under another name. */
  fieldNames: Readonly<Record<string, string>>;
  success: (made: Made) => string;
  /** What to say when no answer came back. */
  unknownOutcome: string;
  additionalTypenames: string[];
}

/**
 * A form that makes something with an idempotency key, like the money forms: the key is made again when
 * what would be sent changes and kept while an outcome is unknown, a second submit while one is in flight
 * sends nothing, and errors go next to their input (the first one gets focus) or on the form.
 */
export function useCheckedForm<
  Values,
  F extends string,
  Input,
  Data,
  Payload extends { errors: readonly ApiUserError[]; replayed: boolean },
  Made,
>(options: CheckedFormOptions<Values, F, Input, Data, Payload, Made>) {
  const [values, setValues] = useState(options.empty);
  const [errors, setErrors] = useState<FormErrors<F>>({ fields: {}, form: [] });
  const [outcome, setOutcome] = useState<string | null>(null);
  const [{ fetching }, execute] = useMutation(options.mutation);
  const inFlight = useRef(false);
  const form = useRef<HTMLFormElement>(null);
  const check = options.check(values);
  const { key, settle } = useIdempotencyKey(check.ok ? check.input : values);

  useEffect(() => {
    form.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [errors]);

  function set(name: keyof Values, value: string) {
    setValues((previous) => ({ ...previous, [name]: value }));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (inFlight.current) return;
    setOutcome(null);
    if (!check.ok) return setErrors({ fields: check.errors, form: [] });
    setErrors({ fields: {}, form: [] });
    inFlight.current = true;
    try {
      const result = await execute(
        { input: { ...check.input, idempotencyKey: key } },
        { requestPolicy: "network-only", additionalTypenames: options.additionalTypenames },
      );
      if (!result.data) return setErrors({ fields: {}, form: [options.unknownOutcome] });
      settle();
      const payload = options.payload(result.data);
      const made = options.made(payload);
      if (payload.errors.length > 0 || !made)
        return setErrors(mapErrors(renameFields(payload.errors, options.fieldNames), options.shown(values)));
      setValues(options.empty);
      setOutcome(options.success(made) + (payload.replayed ? " (already done earlier)" : ""));
    } finally {
      inFlight.current = false;
    }
  }

  return { values, set, errors, outcome, fetching, form, submit };
}
