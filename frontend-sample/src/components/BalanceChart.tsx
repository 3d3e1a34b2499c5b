import { lazy, Suspense, useEffect, useId, useRef, useState } from "react";
import { useQuery } from "urql";

import { graphql } from "../gql";
import { describe, PERIOD_DAYS, pointDay, summarize, type PeriodDays } from "../history/balance";
import { formatMoney } from "../money/amount";
import { Segmented } from "./Segmented";

const BalancePlot = lazy(() => import("./BalancePlot"));

const BalanceHistory = graphql(`
  query BalanceHistory($days: Int!) {
    balanceHistory(days: $days) {
      at
      balance
    }
  }
`);

/**
 * The balance over the last 30, 90 or 365 days, as the ledger has it. `balance` is the dashboard's current
 * figure: when it changes (money arrived live, or was sent) the history is asked again, so its last point and
 * the dashboard agree.
 */
export function BalanceChart({ balance, currency }: { balance: string; currency: string }) {
  const [days, setDays] = useState<PeriodDays>(30);
  const [{ data, error, fetching }, refresh] = useQuery({
    query: BalanceHistory,
    variables: { days },
    requestPolicy: "cache-and-network",
  });
  const seen = useRef(balance);
  useEffect(() => {
    if (seen.current === balance) return;
    seen.current = balance;
    refresh({ requestPolicy: "network-only" });
  }, [balance, refresh]);

  const titleId = useId();
  const summary = data && summarize(data.balanceHistory);
  return (
    <figure className="card balance-chart" aria-labelledby={titleId} aria-busy={fetching}>
      <div className="chart-head">
        <h2 id={titleId}>Balance over the last {days} days</h2>
        <Segmented
          legend="Period"
          options={PERIOD_DAYS.map((option) => ({ value: option, label: `${option} days` }))}
          value={days}
          onChange={setDays}
        />
      </div>
      {!data && (error ? <p role="alert">Could not load your balance history.</p> : <p>Loading…</p>)}
      {summary && (
        <>
          <div className="plot" role="img" aria-label={describe(summary, currency, days)}>
            {/* The drawing's own ticks and labels are not read out: the name above says what it shows. */}
            <div aria-hidden="true">
              <Suspense fallback={<p>Loading the chart…</p>}>
                <BalancePlot points={data.balanceHistory} currency={currency} />
              </Suspense>
            </div>
          </div>
          <dl className="chart-summary" data-testid="balance-summary">
            {(
              [
                ["Start", summary.first, pointDay(summary.first.at)],
                ["Now", summary.last, null],
                ["Lowest", summary.lowest, pointDay(summary.lowest.at)],
                ["Highest", summary.highest, pointDay(summary.highest.at)],
              ] as const
            ).map(([label, point, day]) => (
              <div key={label}>
                <dt>
                  {label}
                  {day && <span className="muted"> ({day})</span>}
                </dt>
                <dd data-testid={`balance-${label.toLowerCase()}`}>{formatMoney(point.balance, currency)}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </figure>
  );
}
