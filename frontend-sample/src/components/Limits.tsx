import { graphql } from "../gql";
import type { WalletLimitsFieldsFragment } from "../gql/graphql";
import { formatMoney } from "../money/amount";
import { percentUsed, type Period } from "../wallet/controls";
import { when } from "./TransactionList";

export const WalletLimitsFields = graphql(`
  fragment WalletLimitsFields on WalletLimits {
    tier
    daily {
      limit
      used
      remaining
      resetsAt
    }
    monthly {
      limit
      used
      remaining
      resetsAt
    }
    maxBalance
    perTransaction
  }
`);

function PeriodLimit({ name, title, period, currency }: { name: string; title: string; period: Period | null | undefined; currency: string }) {
  const id = `limit-${name}`;
  if (!period)
    return (
      <div className="limit" data-testid={id}>
        <h3 id={id}>{title}</h3>
        <p className="muted">No limit.</p>
      </div>
    );
  const used = percentUsed(period);
  return (
    <div className="limit" data-testid={id}>
      <h3 id={id}>{title}</h3>
      <p data-testid={name === "daily" ? "transferred-today" : undefined}>
        <span data-testid={`${id}-used`}>{formatMoney(period.used, currency)}</span> of{" "}
        {formatMoney(period.limit, currency)} used
      </p>
      <progress aria-labelledby={id} max={100} value={used} aria-valuetext={`${Math.round(used)}% used`} />
      <p className="limit-left">
        <span data-testid={`${id}-remaining`}>{formatMoney(period.remaining, currency)}</span> left · resets{" "}
        <time dateTime={period.resetsAt}>{when(period.resetsAt)}</time>
      </p>
    </div>
  );
}

/** The wallet's tier and limits, with what is used and what remains of each (a null is no limit). */
export function LimitsCard({ limits, currency }: { limits: WalletLimitsFieldsFragment; currency: string }) {
  const money = (amount: string | null | undefined) => (amount ? formatMoney(amount, currency) : "No limit");
  return (
    <section className="card limits" aria-labelledby="limits-title" data-testid="limits">
      <h2 id="limits-title">
        Limits <span className="badge" data-testid="tier">{limits.tier}</span>
      </h2>
      <PeriodLimit name="daily" title="Today" period={limits.daily} currency={currency} />
      <PeriodLimit name="monthly" title="This month" period={limits.monthly} currency={currency} />
      <dl className="details">
        <dt>Per payment, at most</dt>
        <dd data-testid="limit-per-transaction">{money(limits.perTransaction)}</dd>
        <dt>Balance, at most</dt>
        <dd data-testid="limit-max-balance">{money(limits.maxBalance)}</dd>
      </dl>
    </section>
  );
}
