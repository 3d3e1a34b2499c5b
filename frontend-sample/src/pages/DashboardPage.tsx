import { useState } from "react";
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";

import { Notice } from "../components/Alert";
import { BalanceChart } from "../components/BalanceChart";
import { FreezeBanner } from "../components/Freezes";
import { LimitsCard } from "../components/Limits";
import { TransactionList } from "../components/TransactionList";
import { useViewer } from "../components/Viewer";
import { graphql } from "../gql";
import { formatMoney } from "../money/amount";

const Dashboard = graphql(`
  query Dashboard {
    wallet {
      id
      currency
      balance
      availableBalance
      ...WalletControls
      limits {
        ...WalletLimitsFields
      }
    }
    transactions(first: 5) {
      edges {
        node {
          ...TransactionRow
        }
      }
    }
  }
`);

const WalletEvents = graphql(`
  subscription WalletEvents {
    walletEvents {
      eventId
      type
      kind
      status
      amount
      balance
      transactionId
    }
  }
`);

export function DashboardPage() {
  const viewer = useViewer();
  const [{ data, error }, refresh] = useQuery({ query: Dashboard, requestPolicy: "cache-and-network" });
  const [news, setNews] = useState<string | null>(null);

  // Live: each event of this wallet refreshes the figures, and money that arrives is announced.
  useSubscription({ query: WalletEvents }, (_previous, event) => {
    const walletEvent = event.walletEvents;
    const before = data?.wallet.balance;
    if (walletEvent.balance !== null && before !== undefined && Number(walletEvent.balance) > Number(before)) {
      const received = formatMoney(walletEvent.amount, viewer.currency);
      setNews(`You received ${received}. Balance: ${formatMoney(walletEvent.balance, viewer.currency)}.`);
    }
    refresh({ requestPolicy: "network-only" });
    return event;
  });

  if (!data) return error ? <p role="alert">Could not load your wallet.</p> : <p>Loading…</p>;
  const { wallet } = data;
  return (
    <section aria-labelledby="dashboard-title">
      <h1 id="dashboard-title">Hello, {viewer.username}</h1>
      <Notice>{news}</Notice>
      <FreezeBanner wallet={wallet} />
      <div className="cards">
        <div className="card balance">
          <h2>Balance</h2>
          <p className="big" data-testid="balance">
            {formatMoney(wallet.balance, wallet.currency)}
          </p>
          {wallet.availableBalance !== wallet.balance && (
            <p className="muted" data-testid="available">
              Available: {formatMoney(wallet.availableBalance, wallet.currency)} (the rest is held)
            </p>
          )}
          <p className="actions">
            <Link to="/add-money">Add money</Link> <Link to="/transfer">Send</Link>{" "}
            <Link to="/pay-by-mobile">Pay by mobile</Link>
          </p>
        </div>
        <LimitsCard limits={wallet.limits} currency={wallet.currency} />
      </div>
      <BalanceChart balance={wallet.balance} currency={wallet.currency} />
      <div className="card">
        <h2>Recent activity</h2>
        <TransactionList transactions={data.transactions.edges.map((edge) => edge.node)} viewer={viewer.username} />
        <p>
          <Link to="/history">All history</Link>
        </p>
      </div>
    </section>
  );
}
