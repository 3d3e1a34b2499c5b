import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";

import { ErrorSummary, Notice } from "../components/Alert";
import { Field } from "../components/Field";
import { MoneyForm } from "../components/MoneyForm";
import { when } from "../components/TransactionList";
import { useViewer } from "../components/Viewer";
import { graphql } from "../gql";
import type { ActiveHoldsQuery } from "../gql/graphql";
import { checkAmount, formatMoney } from "../money/amount";
import { mapErrors } from "../money/errors";
import { useIdempotencyKey } from "../money/idempotency";

const ActiveHolds = graphql(`
  query ActiveHolds {
    transactions(first: 100, kind: HOLD, status: PENDING) {
      edges {
        node {
          id
          amount
          currency
          createdAt
          expiresAt
          holdState
          note
          sender {
            username
          }
          receiver {
            username
          }
        }
      }
    }
  }
`);

const CreateHold = graphql(`
  mutation CreateHold($input: CreateHoldInput!) {
    createHold(input: $input) {
      transaction {
        id
        status
      }
      wallet {
        id
        balance
        availableBalance
        transferredToday
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

const CaptureHold = graphql(`
  mutation CaptureHold($input: CaptureHoldInput!) {
    captureHold(input: $input) {
      transaction {
        id
        status
      }
      wallet {
        id
        balance
        availableBalance
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

const VoidHold = graphql(`
  mutation VoidHold($input: VoidHoldInput!) {
    voidHold(input: $input) {
      transaction {
        id
        status
      }
      wallet {
        id
        balance
        availableBalance
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

type Hold = ActiveHoldsQuery["transactions"]["edges"][number]["node"];

function HoldRow({ hold, onResolved }: { hold: Hold; onResolved: () => void }) {
  const [amount, setAmount] = useState("");
  const [errors, setErrors] = useState<{ amount?: string; form: string[] }>({ form: [] });
  const [busy, setBusy] = useState(false);
  const [, capture] = useMutation(CaptureHold);
  const [, release] = useMutation(VoidHold);
  const captureKey = useIdempotencyKey({ hold: hold.id, action: "capture", amount: amount.trim() });
  const voidKey = useIdempotencyKey({ hold: hold.id, action: "void" });

  async function onCapture(event: FormEvent) {
    event.preventDefault();
    const check = amount.trim() === "" ? null : checkAmount(amount);
    if (check && !check.ok) return setErrors({ amount: check.message, form: [] });
    setBusy(true);
    const result = await capture(
      { input: { holdId: hold.id, amount: check?.amount ?? null, idempotencyKey: captureKey.key } },
      { requestPolicy: "network-only" },
    );
    setBusy(false);
    if (!result.data) return setErrors({ form: ["We could not reach the wallet. Trying again is safe."] });
    captureKey.settle();
    const mapped = mapErrors(result.data.captureHold.errors, ["amount"] as const);
    setErrors({ amount: mapped.fields.amount, form: mapped.form });
    if (mapped.form.length === 0 && !mapped.fields.amount) onResolved();
  }

  async function onVoid() {
    setBusy(true);
    const result = await release(
      { input: { holdId: hold.id, idempotencyKey: voidKey.key } },
      { requestPolicy: "network-only" },
    );
    setBusy(false);
    if (!result.data) return setErrors({ form: ["We could not reach the wallet. Trying again is safe."] });
    voidKey.settle();
    const mapped = mapErrors(result.data.voidHold.errors, [] as const);
    setErrors({ form: mapped.form });
    if (mapped.form.length === 0) onResolved();
  }

  return (
    <li className="card hold">
      <p>
        <strong>{formatMoney(hold.amount, hold.currency)}</strong> for {hold.receiver?.username ?? "?"}
        {hold.note && <span className="note"> · {hold.note}</span>}
      </p>
      <p className="muted">
        {hold.holdState === "ACTIVE" ? "Expires" : "Expired"}{" "}
        {hold.expiresAt && <time dateTime={hold.expiresAt}>{when(hold.expiresAt)}</time>} ·{" "}
        <Link to={`/transactions/${encodeURIComponent(hold.id)}`}>Details</Link>
      </p>
      <ErrorSummary messages={errors.form} />
      {hold.holdState === "ACTIVE" && (
        <form onSubmit={onCapture} noValidate className="inline-form">
          <Field
            label="Amount to capture"
            hint="Leave empty to capture all"
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            error={errors.amount}
            onChange={(event) => setAmount(event.target.value)}
          />
          <div className="buttons">
            <button type="submit" disabled={busy}>
              Capture
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={onVoid}>
              Void
            </button>
          </div>
        </form>
      )}
    </li>
  );
}

export function HoldsPage() {
  const viewer = useViewer();
  const [{ data }, refresh] = useQuery({ query: ActiveHolds, requestPolicy: "cache-and-network" });
  const [notice, setNotice] = useState<string | null>(null);
  const holds = (data?.transactions.edges ?? [])
    .map((edge) => edge.node)
    .filter((hold) => hold.holdState === "ACTIVE" && hold.sender?.username === viewer.username);

  return (
    <section aria-labelledby="holds-title">
      <h1 id="holds-title">Holds</h1>
      <p className="muted">
        A hold reserves money for someone until you capture it (they get it) or void it (it is yours again).
      </p>
      <h2>New hold</h2>
      <MoneyForm
        fields={[
          { name: "receiverUsername", label: "Username", kind: "text", required: true, hint: "Who it is for" },
          { name: "amount", label: "Amount", kind: "amount", required: true, hint: `In ${viewer.currency}` },
          { name: "expiresInMinutes", label: "Expires in (minutes)", kind: "number", required: true, initial: "60" },
        ]}
        withTags
        submitLabel="Hold money"
        mutation={CreateHold}
        variables={(values, idempotencyKey, tags) => ({
          input: {
            receiverUsername: values.receiverUsername,
            amount: values.amount,
            expiresInSeconds: Math.round(Number(values.expiresInMinutes) * 60),
            idempotencyKey,
            ...tags,
          },
        })}
        payload={(data) => data.createHold}
        success={(values) => {
          refresh({ requestPolicy: "network-only" });
          return `Holding ${formatMoney(values.amount, viewer.currency)} for ${values.receiverUsername}.`;
        }}
      />
      <h2>Active holds</h2>
      <Notice>{notice}</Notice>
      {holds.length === 0 ? (
        <p className="muted">No active holds.</p>
      ) : (
        <ul className="holds">
          {holds.map((hold) => (
            <HoldRow
              key={hold.id}
              hold={hold}
              onResolved={() => {
                setNotice("Hold resolved.");
                refresh({ requestPolicy: "network-only" });
              }}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
