import { useRef, useState } from "react";
import { useMutation, useQuery } from "urql";

import { ErrorSummary, Notice } from "../components/Alert";
import { Confirm, useReturnFocus } from "../components/Confirm";
import { Field } from "../components/Field";
import { FreezeBanner, FreezeList } from "../components/Freezes";
import { Segmented } from "../components/Segmented";
import { graphql } from "../gql";
import type { FreezeScope } from "../gql/graphql";
import { mapErrors } from "../money/errors";
import { useIdempotencyKey } from "../money/idempotency";
import { UNKNOWN_ACTION_OUTCOME } from "../money/useAction";
import { SCOPE_LABELS } from "../wallet/controls";

const Security = graphql(`
  query Security {
    wallet {
      ...WalletControls
    }
  }
`);

const FreezeMyWallet = graphql(`
  mutation FreezeMyWallet($input: FreezeMyWalletInput!) {
    freezeMyWallet(input: $input) {
      wallet {
        ...WalletControls
      }
      freeze {
        id
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

const SCOPES = (["DEBITS", "ALL", "CREDITS"] as const).map((value) => ({ value, label: SCOPE_LABELS[value] }));

/**
 * The panic switch lives here, one click from every page's menu, rather than on the dashboard: a switch that
 * stops all payments should not sit next to "Send" where a stray tap reaches it, and it needs room to say what
 * each choice stops. The dashboard shows the state (a banner while frozen) and links here.
 */
export function SecurityPage() {
  const [{ data, error }] = useQuery({ query: Security, requestPolicy: "cache-and-network" });
  const [scope, setScope] = useState<FreezeScope>("DEBITS");
  const [note, setNote] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const [{ fetching }, execute] = useMutation(FreezeMyWallet);
  const { key, settle } = useIdempotencyKey({ scope, note: note.trim() });
  const inFlight = useRef(false);
  const { ref: freezeButton, returnFocus } = useReturnFocus<HTMLButtonElement>();

  async function freeze() {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      const input = { scope, note: note.trim() || null, idempotencyKey: key };
      const result = await execute({ input }, { requestPolicy: "network-only", additionalTypenames: ["Wallet"] });
      if (!result.data) return setErrors([UNKNOWN_ACTION_OUTCOME]);
      settle();
      const answer = result.data.freezeMyWallet;
      setErrors(mapErrors(answer.errors, []).form);
      setConfirming(false);
      returnFocus();
      if (answer.errors.length === 0) {
        setNote("");
        setDone(`Your wallet is frozen for ${SCOPE_LABELS[scope].toLowerCase()}.`);
      }
    } finally {
      inFlight.current = false;
    }
  }

  return (
    <section aria-labelledby="security-title">
      <h1 id="security-title">Security</h1>
      {!data ? (
        error ? <p role="alert">Could not load your wallet.</p> : <p>Loading…</p>
      ) : data.wallet.frozenFor ? (
        <FreezeBanner wallet={data.wallet} withLink={false} />
      ) : (
        <div className="card">
          <h2>Freezes</h2>
          <FreezeList freezes={data.wallet.freezes} />
        </div>
      )}
      <div className="card form" aria-labelledby="freeze-title" role="group">
        <h2 id="freeze-title">Freeze my wallet</h2>
        <p>
          Lost your phone, or see a payment you did not make? Freeze your wallet at once. Nothing is deleted, and you
          can unfreeze it here yourself.
        </p>
        <div className="field">
          <span className="field-label" aria-hidden="true">
            What to stop
          </span>
          <Segmented legend="What to stop" options={SCOPES} value={scope} onChange={setScope} />
        </div>
        <Field
          label="Note"
          hint="Optional: what happened, for you and our support team"
          value={note}
          maxLength={500}
          autoComplete="off"
          onChange={(event) => setNote(event.target.value)}
        />
        <ErrorSummary messages={errors} />
        {confirming ? (
          <Confirm
            question={`Freeze your wallet for ${SCOPE_LABELS[scope].toLowerCase()}?`}
            confirmLabel="Yes, freeze it"
            cancelLabel="Not now"
            danger
            busy={fetching}
            onConfirm={freeze}
            onCancel={() => {
              setConfirming(false);
              returnFocus();
            }}
          >
            {scope === "CREDITS"
              ? "No money can arrive until you unfreeze it."
              : "No payment can leave your wallet until you unfreeze it."}
          </Confirm>
        ) : (
          <button
            type="button"
            className="danger"
            ref={freezeButton}
            onClick={() => {
              setErrors([]);
              setDone(null);
              setConfirming(true);
            }}
          >
            Freeze my wallet
          </button>
        )}
        <Notice>{done}</Notice>
      </div>
    </section>
  );
}
