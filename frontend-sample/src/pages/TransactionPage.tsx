import { Fragment, useEffect } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";

import { KIND_LABELS, STATUS_LABELS, counterpart, hasFee, signedAmount, when } from "../components/TransactionList";
import { useViewer } from "../components/Viewer";
import { graphql } from "../gql";
import { formatAmount } from "../money/amount";
import { messageFor } from "../money/errors";
import { metadataEntries } from "../money/tags";

const TransactionDetail = graphql(`
  query TransactionDetail($id: ID!) {
    transaction(id: $id) {
      ...TransactionRow
      idempotencyKey
      expiresAt
      metadata
      original {
        id
        kind
        amount
      }
      receipt {
        status
        url
        verificationCode
      }
      entries {
        id
        direction
        amount
        balanceAfter
        pending
        createdAt
      }
    }
  }
`);

const RECEIPT_POLL_MS = 1_000;

export function TransactionPage() {
  const { id = "" } = useParams();
  const viewer = useViewer();
  const [{ data, fetching, error }, refresh] = useQuery({ query: TransactionDetail, variables: { id } });
  const transaction = data?.transaction;
  const receiptPending =
    transaction?.status === "SUCCESS" && (!transaction.receipt || transaction.receipt.status === "PENDING");

  // Receipts are made in the background after the transaction commits: look again until it is ready.
  useEffect(() => {
    if (!receiptPending) return;
    const timer = window.setTimeout(() => refresh({ requestPolicy: "network-only" }), RECEIPT_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [receiptPending, refresh, data]);

  const metadata = metadataEntries(transaction?.metadata);
  if (!data) return fetching ? <p>Loading…</p> : <p role="alert">Could not load this transaction.</p>;
  if (!transaction) {
    return (
      <section aria-labelledby="transaction-title">
        <h1 id="transaction-title">Transaction not found</h1>
        <p>It doesn't exist, or it isn't yours. {error && "Check your connection and reload."}</p>
        <Link to="/history">Back to history</Link>
      </section>
    );
  }
  return (
    <section aria-labelledby="transaction-title">
      <h1 id="transaction-title">
        {KIND_LABELS[transaction.kind]} {counterpart(transaction, viewer.username)}
      </h1>
      <div className="card">
        <dl className="details">
          <dt>Amount</dt>
          <dd data-testid="amount">
            {signedAmount(transaction, viewer.username)} {transaction.currency}
          </dd>
          {hasFee(transaction) && (
            <>
              <dt>Fee</dt>
              <dd data-testid="fee">
                {formatAmount(transaction.fee)} {transaction.currency}
              </dd>
            </>
          )}
          <dt>Status</dt>
          <dd data-testid="status">
            {STATUS_LABELS[transaction.status]}
            {transaction.holdState && ` (${transaction.holdState.toLowerCase()})`}
          </dd>
          {transaction.status === "FAILED" && (
            <>
              <dt>Reason</dt>
              <dd data-testid="reason">{messageFor(transaction.failureCode)}</dd>
            </>
          )}
          <dt>When</dt>
          <dd>
            <time dateTime={transaction.createdAt}>{when(transaction.createdAt)}</time>
          </dd>
          {transaction.expiresAt && (
            <>
              <dt>Expires</dt>
              <dd>
                <time dateTime={transaction.expiresAt}>{when(transaction.expiresAt)}</time>
              </dd>
            </>
          )}
          {transaction.note && (
            <>
              <dt>Note</dt>
              <dd>{transaction.note}</dd>
            </>
          )}
          {transaction.original && (
            <>
              <dt>Reverses</dt>
              <dd>
                <Link to={`/transactions/${encodeURIComponent(transaction.original.id)}`}>
                  {KIND_LABELS[transaction.original.kind]} of {formatAmount(transaction.original.amount)}
                </Link>
              </dd>
            </>
          )}
          {transaction.reference && (
            <>
              <dt>Reference</dt>
              <dd data-testid="reference" className="mono">
                {transaction.reference}
              </dd>
            </>
          )}
          <dt>Transaction ID</dt>
          <dd className="mono">{transaction.id}</dd>
        </dl>
      </div>
      {metadata.length > 0 && (
        <div className="card">
          <h2>Metadata</h2>
          <dl className="details metadata-list" data-testid="metadata">
            {metadata.map(([key, value]) => (
              <Fragment key={key}>
                <dt className="mono">{key}</dt>
                <dd>{value}</dd>
              </Fragment>
            ))}
          </dl>
        </div>
      )}
      {transaction.status === "SUCCESS" && (
        <div className="card">
          <h2>Receipt</h2>
          {transaction.receipt?.status === "READY" && transaction.receipt.url ? (
            <p>
              <a href={transaction.receipt.url} download>
                Download the PDF receipt
              </a>{" "}
              <span className="muted">(verification code {transaction.receipt.verificationCode})</span>
            </p>
          ) : transaction.receipt?.status === "FAILED" ? (
            <p>The receipt could not be made; it will be tried again.</p>
          ) : (
            <p aria-live="polite">Preparing your receipt…</p>
          )}
        </div>
      )}
      <div className="card">
        <h2>Ledger entries</h2>
        {transaction.entries.length === 0 ? (
          <p className="muted">No money moved in your wallet.</p>
        ) : (
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Your wallet's entries for this transaction</caption>
              <thead>
                <tr>
                  <th scope="col">Direction</th>
                  <th scope="col" className="num">Amount</th>
                  <th scope="col" className="num">Balance after</th>
                </tr>
              </thead>
              <tbody>
                {transaction.entries.map((entry) => (
                  <tr key={entry.id}>
                    <td>
                      {entry.direction === "CREDIT" ? "Credit" : "Debit"}
                      {entry.pending && " (held)"}
                    </td>
                    <td className="num">{formatAmount(entry.amount)}</td>
                    <td className="num">{formatAmount(entry.balanceAfter)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
