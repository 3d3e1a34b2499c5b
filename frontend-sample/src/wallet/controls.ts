import type { FreezeScope, WalletControlsFragment } from "../gql/graphql";
import { compareAmounts, formatMoney } from "../money/amount";

/** What a freeze stops, as a choice on the panic switch. */
export const SCOPE_LABELS: Record<FreezeScope, string> = {
  DEBITS: "Sending",
  CREDITS: "Receiving",
  ALL: "Sending and receiving",
};

/** The dashboard's headline for a frozen wallet (`frozenFor`, the union of its freezes). */
export const FROZEN_HEADLINES: Record<FreezeScope, string> = {
  DEBITS: "Your wallet is frozen for sending: no money can leave it.",
  CREDITS: "Your wallet is frozen for receiving: no money can arrive in it.",
  ALL: "Your wallet is frozen: no money can leave or arrive in it.",
};

export const REASON_LABELS: Record<WalletControlsFragment["freezes"][number]["reasonCode"], string> = {
  FRAUD_SUSPECTED: "Suspected fraud",
  COMPLIANCE_REVIEW: "A compliance review",
  CUSTOMER_REQUEST: "You asked for it",
  LOST_DEVICE: "A lost or stolen device",
  OTHER: "Another reason",
};

export function setBy(freeze: { setByStaff: boolean }): string {
  return freeze.setByStaff ? "Set by our staff" : "Set by you";
}

export interface Period {
  limit: string;
  used: string;
  remaining: string;
  resetsAt: string;
}

export interface Limits {
  daily?: Period | null;
  monthly?: Period | null;
  perTransaction?: string | null;
}

/** How full a period's limit is, 0 to 100 (for the bar only: the figures beside it are exact). */
export function percentUsed(period: Period): number {
  const limit = Number(period.limit);
  if (!(limit > 0)) return 100;
  return Math.min(100, Math.max(0, (Number(period.used) / limit) * 100));
}

/**
 * What the send form says before sending an amount the limits will refuse. The server has the last word
 * (a day may have ended since the limits were read), so this warns and does not stop the user.
 */
export function limitWarnings(amount: string, limits: Limits | null | undefined, currency: string): string[] {
  if (!limits) return [];
  const warnings: string[] = [];
  if (limits.perTransaction && compareAmounts(amount, limits.perTransaction) > 0)
    warnings.push(`This is more than the ${formatMoney(limits.perTransaction, currency)} you can send in one payment.`);
  const periods = [
    ["daily", "today", limits.daily],
    ["monthly", "this month", limits.monthly],
  ] as const;
  for (const [name, when, period] of periods) {
    if (period && compareAmounts(amount, period.remaining) > 0)
      warnings.push(
        `This is more than the ${formatMoney(period.remaining, currency)} left of your ${name} limit ${when}.`,
      );
  }
  return warnings;
}
