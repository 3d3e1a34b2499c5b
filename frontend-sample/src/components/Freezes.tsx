import { Link } from "react-router";

import { graphql } from "../gql";
import type { WalletControlsFragment } from "../gql/graphql";
import { useIdempotentAction } from "../money/useAction";
import { FROZEN_HEADLINES, REASON_LABELS, SCOPE_LABELS, setBy } from "../wallet/controls";
import { ErrorSummary } from "./Alert";
import { when } from "./TransactionList";

export const WalletControls = graphql(`
  fragment WalletControls on Wallet {
    id
    frozenFor
    freezes {
      id
      scope
      reasonCode
      note
      setByStaff
      createdAt
    }
  }
`);

const UnfreezeMyWallet = graphql(`
  mutation UnfreezeMyWallet($id: ID!, $idempotencyKey: String!) {
    unfreezeMyWallet(input: { freezeId: $id, idempotencyKey: $idempotencyKey }) {
      wallet {
        ...WalletControls
      }
      errors {
        code
        field
        message
      }
    }
  }
`);

type Freeze = WalletControlsFragment["freezes"][number];

/** One active freeze: what it stops, why, who set it; the owner's own can be lifted here, staff's only by support. */
function FreezeItem({ freeze }: { freeze: Freeze }) {
  const unfreeze = useIdempotentAction(UnfreezeMyWallet, freeze.id, (data) => data.unfreezeMyWallet, ["Wallet"]);
  const what = SCOPE_LABELS[freeze.scope];
  return (
    <li className="freeze" data-testid="freeze">
      <dl className="details">
        <dt>Frozen</dt>
        <dd data-testid="freeze-scope">{what}</dd>
        <dt>Why</dt>
        <dd data-testid="freeze-reason">
          {REASON_LABELS[freeze.reasonCode]}
          {freeze.note && <>: “{freeze.note}”</>}
        </dd>
        <dt>Who</dt>
        <dd data-testid="freeze-by">
          {setBy(freeze)}, <time dateTime={freeze.createdAt}>{when(freeze.createdAt)}</time>
        </dd>
      </dl>
      <ErrorSummary messages={unfreeze.errors} />
      {freeze.setByStaff ? (
        <p className="muted">Only our support team can lift this freeze: contact support to talk about it.</p>
      ) : (
        <button type="button" disabled={unfreeze.fetching} aria-busy={unfreeze.fetching} onClick={unfreeze.run}>
          Unfreeze<span className="visually-hidden"> {what.toLowerCase()}</span>
        </button>
      )}
    </li>
  );
}

export function FreezeList({ freezes }: { freezes: readonly Freeze[] }) {
  if (freezes.length === 0) return <p className="muted">Your wallet is not frozen.</p>;
  return (
    <ul className="freezes">
      {freezes.map((freeze) => (
        <FreezeItem key={freeze.id} freeze={freeze} />
      ))}
    </ul>
  );
}

/** The dashboard's banner: shown only while the wallet is frozen. */
export function FreezeBanner({ wallet, withLink = true }: { wallet: WalletControlsFragment; withLink?: boolean }) {
  if (!wallet.frozenFor) return null;
  return (
    <section className="card frozen" aria-labelledby="frozen-title" data-testid="frozen-banner">
      <h2 id="frozen-title">{FROZEN_HEADLINES[wallet.frozenFor]}</h2>
      <FreezeList freezes={wallet.freezes} />
      {withLink && (
        <p>
          <Link to="/security">Security settings</Link>
        </p>
      )}
    </section>
  );
}
