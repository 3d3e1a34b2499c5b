import { Fragment, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useClient, useMutation, useQuery, type AnyVariables, type Client, type TypedDocumentNode } from "urql";

import { graphql } from "../gql";
import { checkAmount, formatMoney } from "../money/amount";
import { mapErrors, type ApiUserError, type FormErrors } from "../money/errors";
import { useIdempotencyKey } from "../money/idempotency";
import type { Quote } from "../money/quote";
import { checkMetadata, checkReference, metadataFingerprint, type MetadataRow, type Tags } from "../money/tags";
import { ErrorSummary, Notice } from "./Alert";
import { Field } from "./Field";
import { MetadataEditor } from "./MetadataEditor";
import { limitWarnings } from "../wallet/controls";

const SendLimits = graphql(`
  query SendLimits {
    wallet {
      id
      currency
      limits {
        ...WalletLimitsFields
      }
    }
  }
`);

/** A confirm step: what the server says the payment costs, shown before anything is sent. */
export interface Review<F extends string> {
  /** The fee and total from the server (`quoteTransfer`, `quoteWithdrawal`); throws with a sentence to show. */
  quote: (client: Client, values: Record<F, string>) => Promise<Quote>;
  /** What else to show in the confirm step ("To", "Note"), from the form's values; empty values are left out. */
  summary?: (values: Record<F, string>) => [string, string][];
}

export interface FieldSpec<F extends string> {
  name: F;
  label: string;
  kind: "amount" | "text" | "tel" | "number";
  required?: boolean;
  hint?: string;
  autoComplete?: string;
  initial?: string;
}

/** What every money mutation's payload has in common. */
export interface MoneyPayload {
  transaction?: { id: string; status: string } | null;
  replayed: boolean;
  errors: readonly ApiUserError[];
}

interface MoneyFormProps<F extends string, Data, Vars extends AnyVariables> {
  fields: readonly FieldSpec<F>[];
  submitLabel: string;
  mutation: TypedDocumentNode<Data, Vars>;
  /** The mutation's variables; `tags` is the reference and metadata (both null unless `withTags`). */
  variables: (values: Record<F, string>, idempotencyKey: string, tags: Tags) => Vars;
  payload: (data: Data) => MoneyPayload;
  /** The sentence announced when the money moved. */
  success: (values: Record<F, string>) => string;
  /** Offer an optional reference (the user's own id for the payment) and a few metadata fields. */
  withTags?: boolean;
  /**
   * A payment out of the wallet: "Continue" asks for the fee and shows a confirm step (amount, fee, total),
   * whose button (`submitLabel`) sends; the form warns about an amount over what the limits leave.
   */
  review?: Review<F>;
}

/** The inputs every form with tags has besides its own, named as the API's `errors[].field` names them. */
type TagField = "reference" | "metadata";
const TAG_FIELDS: readonly TagField[] = ["reference", "metadata"];
type MetadataTarget = { row: number; part: "key" | "value" } | null;
const NO_TAGS: Tags = { reference: null, metadata: null };

const UNKNOWN_OUTCOME =
  "We could not reach the wallet, so we don't know whether this went through. " +
  "Submitting again is safe: it will not move the money twice.";

function initialValues<F extends string>(fields: readonly FieldSpec<F>[]): Record<F, string> {
  return Object.fromEntries(fields.map((field) => [field.name, field.initial ?? ""])) as Record<F, string>;
}

/** The client's own checks; the server checks again and has the last word. */
function validate<F extends string>(fields: readonly FieldSpec<F>[], values: Record<F, string>): FormErrors<F | TagField> {
  const errors: FormErrors<F | TagField> = { fields: {}, form: [] };
  for (const field of fields) {
    const value = values[field.name].trim();
    if (field.required && value === "") errors.fields[field.name] = `Enter ${field.label.toLowerCase()}.`;
    else if (field.kind === "amount" && (field.required || value !== "")) {
      const check = checkAmount(value);
      if (!check.ok) errors.fields[field.name] = check.message;
    }
  }
  return errors;
}

/** Normalised values: trimmed, and amounts in their canonical form ("5" -> "5", "5.5" -> "5.50"). */
function normalise<F extends string>(fields: readonly FieldSpec<F>[], values: Record<F, string>): Record<F, string> {
  const result = { ...values };
  for (const field of fields) {
    const value = values[field.name].trim();
    const check = field.kind === "amount" && value !== "" ? checkAmount(value) : null;
    result[field.name] = check?.ok ? check.amount : value;
  }
  return result;
}

export function MoneyForm<F extends string, Data, Vars extends AnyVariables>({
  fields,
  submitLabel,
  mutation,
  variables,
  payload,
  success,
  withTags = false,
  review,
}: MoneyFormProps<F, Data, Vars>) {
  const client = useClient();
  const [{ data: limitsData }] = useQuery({ query: SendLimits, pause: !review, requestPolicy: "cache-and-network" });
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoting, setQuoting] = useState(false);
  const reviewHeading = useRef<HTMLHeadingElement>(null);
  const reviewId = useId();
  const [values, setValues] = useState(() => initialValues(fields));
  const [reference, setReference] = useState("");
  const [metadataRows, setMetadataRows] = useState<MetadataRow[]>([]);
  const [errors, setErrors] = useState<FormErrors<F | TagField>>({ fields: {}, form: [] });
  const [metadataTarget, setMetadataTarget] = useState<MetadataTarget>(null);
  const [outcome, setOutcome] = useState<{ message: string; transactionId?: string } | null>(null);
  const [failedTransactionId, setFailedTransactionId] = useState<string | null>(null);
  const [{ fetching }, execute] = useMutation(mutation);
  const inFlight = useRef(false);
  const form = useRef<HTMLFormElement>(null);
  const normalised = normalise(fields, values);
  // The key covers everything the form would send: another reference or metadata is another payment.
  const { key, settle } = useIdempotencyKey(
    withTags ? { values: normalised, reference: reference.trim(), metadata: metadataFingerprint(metadataRows) } : normalised,
  );

  useEffect(() => {
    form.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [errors]);
  const reviewing = quote !== null;
  useEffect(() => {
    if (reviewing) reviewHeading.current?.focus();
  }, [reviewing]);

  const amountField = fields.find((field) => field.kind === "amount");
  const amount = amountField && checkAmount(values[amountField.name]);
  const warnings =
    review && amount?.ok ? limitWarnings(amount.amount, limitsData?.wallet.limits, limitsData?.wallet.currency ?? "") : [];

  /** The edit step's "Continue": the client's checks, then the server's quote for the confirm step. */
  async function askForQuote(quoteFor: Review<F>) {
    inFlight.current = true;
    setQuoting(true);
    try {
      setQuote(await quoteFor.quote(client, normalised));
    } catch (error) {
      setErrors({ fields: {}, form: [(error as Error).message] });
    } finally {
      inFlight.current = false;
      setQuoting(false);
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    // A second click while the first is in flight sends nothing; a later retry reuses the key.
    if (inFlight.current) return;
    const clientErrors = validate(fields, values);
    let tags = NO_TAGS;
    let target: MetadataTarget = null;
    if (withTags) {
      const referenceCheck = checkReference(reference);
      const metadataCheck = checkMetadata(metadataRows);
      if (!referenceCheck.ok) clientErrors.fields.reference = referenceCheck.message;
      if (!metadataCheck.ok) {
        clientErrors.fields.metadata = metadataCheck.message;
        target = { row: metadataCheck.row, part: metadataCheck.part };
      }
      if (referenceCheck.ok && metadataCheck.ok)
        tags = { reference: referenceCheck.reference, metadata: metadataCheck.metadata };
    }
    setOutcome(null);
    setFailedTransactionId(null);
    setErrors(clientErrors);
    setMetadataTarget(target);
    if (Object.keys(clientErrors.fields).length > 0) return;
    if (review && !reviewing) return askForQuote(review);

    inFlight.current = true;
    try {
      const result = await execute(variables(normalised, key, tags), { requestPolicy: "network-only" });
      if (!result.data) {
        // The confirm step stays, so sending again (the same key) is one click.
        setErrors({ fields: {}, form: [UNKNOWN_OUTCOME] });
        return;
      }
      const answer = payload(result.data);
      settle();
      setQuote(null);
      if (answer.errors.length > 0) {
        const names: (F | TagField)[] = fields.map((field) => field.name);
        setErrors(mapErrors(answer.errors, withTags ? [...names, ...TAG_FIELDS] : names));
        if (answer.transaction) setFailedTransactionId(answer.transaction.id);
        return;
      }
      setErrors({ fields: {}, form: [] });
      setValues(initialValues(fields));
      setReference("");
      setMetadataRows([]);
      setOutcome({
        message: answer.replayed ? `${success(normalised)} (already done earlier)` : success(normalised),
        transactionId: answer.transaction?.id,
      });
    } finally {
      inFlight.current = false;
    }
  }

  const editing = (
    <>
      {fields.map((field) => (
        <Field
          key={field.name}
          name={field.name}
          label={field.label}
          hint={field.hint}
          error={errors.fields[field.name]}
          value={values[field.name]}
          required={field.required}
          autoComplete={field.autoComplete ?? "off"}
          type={field.kind === "tel" ? "tel" : field.kind === "number" ? "number" : "text"}
          inputMode={field.kind === "amount" ? "decimal" : field.kind === "tel" ? "tel" : undefined}
          onChange={(event) => setValues((previous) => ({ ...previous, [field.name]: event.target.value }))}
        />
      ))}
      {withTags && (
        <>
          <Field
            name="reference"
            label="Reference"
            hint="Optional: your own id for this payment, like an order number. Each can be used for one payment."
            error={errors.fields.reference}
            value={reference}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => setReference(event.target.value)}
          />
          <MetadataEditor
            rows={metadataRows}
            onChange={setMetadataRows}
            error={errors.fields.metadata}
            errorAt={metadataTarget}
          />
        </>
      )}
      <LimitWarnings warnings={warnings} />
      <button type="submit" disabled={fetching || quoting} aria-busy={quoting}>
        {review ? (quoting ? "Working out the fee…" : "Continue") : fetching ? "Sending…" : submitLabel}
      </button>
    </>
  );

  return (
    <form ref={form} onSubmit={submit} noValidate className="card form">
      <ErrorSummary messages={errors.form} />
      {failedTransactionId && (
        <p className="muted">
          This attempt is recorded in your history as failed.{" "}
          <Link to={`/transactions/${encodeURIComponent(failedTransactionId)}`}>See it</Link>
        </p>
      )}
      {quote ? (
        <div className="review" role="group" aria-labelledby={reviewId}>
          <h2 id={reviewId} ref={reviewHeading} tabIndex={-1}>
            Check and confirm
          </h2>
          <dl className="details quote" data-testid="quote">
            {(review?.summary?.(normalised) ?? [])
              .filter(([, value]) => value !== "")
              .map(([label, value]) => (
                <Fragment key={label}>
                  <dt>{label}</dt>
                  <dd>{value}</dd>
                </Fragment>
              ))}
            <dt>Amount</dt>
            <dd data-testid="quote-amount">{formatMoney(quote.amount, quote.currency)}</dd>
            <dt>Fee</dt>
            <dd data-testid="quote-fee">{formatMoney(quote.fee, quote.currency)}</dd>
            <dt>Total</dt>
            <dd data-testid="quote-total">
              <strong>{formatMoney(quote.total, quote.currency)}</strong>
            </dd>
          </dl>
          <LimitWarnings warnings={warnings} />
          <div className="buttons">
            <button type="submit" disabled={fetching} aria-busy={fetching}>
              {fetching ? "Sending…" : submitLabel}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={fetching}
              onClick={() => {
                setQuote(null);
                setErrors({ fields: {}, form: [] });
              }}
            >
              Change
            </button>
          </div>
        </div>
      ) : (
        editing
      )}
      <Notice>
        {outcome && (
          <>
            {outcome.message}{" "}
            {outcome.transactionId && (
              <Link to={`/transactions/${encodeURIComponent(outcome.transactionId)}`}>View transaction</Link>
            )}
          </>
        )}
      </Notice>
    </form>
  );
}

/** Said before sending, not enforced: the server decides (a day may have ended since the limits were read). */
function LimitWarnings({ warnings }: { warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <div className="alert alert-warning" data-testid="limit-warning">
      {warnings.map((warning) => (
        <p key={warning}>{warning}</p>
      ))}
      <p>It will probably be refused.</p>
    </div>
  );
}
