import { Link } from "react-router";

import { graphql } from "../gql";
import type { TransactionRowFragment } from "../gql/graphql";
import { formatAmount } from "../money/amount";
import { messageFor } from "../money/errors";

export const TransactionRow = graphql(`
  fragment TransactionRow on Transaction {
    id
    kind
    status
    amount
    fee
    currency
    createdAt
    failureCode
    holdState
    note
    reference
    sender {
      username
    }
    receiver {
      username
    }
  }
`);

export const KIND_LABELS: Record<TransactionRowFragment["kind"], string> = {
  ADD_MONEY: "Added money",
  TRANSFER: "Transfer",
  PAY_BY_MOBILE: "Mobile payment",
  WITHDRAWAL: "Withdrawal",
  REVERSAL: "Reversal",
  HOLD: "Hold",
  HOLD_CAPTURE: "Hold captured",
  HOLD_RELEASE: "Hold released",
};

export const STATUS_LABELS: Record<TransactionRowFragment["status"], string> = {
  SUCCESS: "Done",
  FAILED: "Failed",
  PENDING: "Pending",
};

/** Who was on the other side, from the viewer's point of view. */
export function counterpart(transaction: TransactionRowFragment, viewer: string): string {
  const incoming = transaction.receiver?.username === viewer && transaction.sender?.username !== viewer;
  const other = incoming ? transaction.sender?.username : transaction.receiver?.username;
  if (!other || other === viewer) return "";
  return incoming ? `from ${other}` : `to ${other}`;
}

/** The amount signed as it moved the viewer's balance: + in, − out, none if nothing moved. */
export function signedAmount(transaction: TransactionRowFragment, viewer: string): string {
  const amount = formatAmount(transaction.amount);
  if (transaction.status !== "SUCCESS") return amount;
  const incoming = transaction.receiver?.username === viewer && transaction.sender?.username !== viewer;
  return incoming ? `+${amount}` : `−${amount}`;
}

/** A fee is shown only when one was charged (the API says 0.00 when there is none). */
export function hasFee(transaction: { fee: string }): boolean {
  return /[1-9]/.test(transaction.fee);
}

export function when(createdAt: string): string {
  return new Date(createdAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function TransactionList({
  transactions,
  viewer,
}: {
  transactions: readonly TransactionRowFragment[];
  viewer: string;
}) {
  if (transactions.length === 0) return <p className="muted">No transactions yet.</p>;
  return (
    <ul className="transactions">
      {transactions.map((transaction) => (
        <li key={transaction.id} className={`transaction status-${transaction.status.toLowerCase()}`}>
          <Link to={`/transactions/${encodeURIComponent(transaction.id)}`} className="transaction-link">
            <span className="what">
              <strong>{KIND_LABELS[transaction.kind]}</strong> {counterpart(transaction, viewer)}
              {transaction.note && <span className="note"> · {transaction.note}</span>}
            </span>
            <span className="amount">
              {signedAmount(transaction, viewer)} {transaction.currency}
            </span>
            <span className="meta">
              <time dateTime={transaction.createdAt}>{when(transaction.createdAt)}</time>
              {" · "}
              <span className="status">{STATUS_LABELS[transaction.status]}</span>
              {transaction.holdState && ` · ${transaction.holdState.toLowerCase()}`}
              {hasFee(transaction) && <span className="fee"> · Fee {formatAmount(transaction.fee)}</span>}
              {transaction.reference && <span className="ref"> · Ref. {transaction.reference}</span>}
              {transaction.status === "FAILED" && (
                <span className="reason"> · {messageFor(transaction.failureCode)}</span>
              )}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
