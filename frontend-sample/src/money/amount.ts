/**
 * Amounts stay strings from the input to the wire: the API's Decimal scalar is an exact decimal string,
 * and a float would round. The form checks the shape so the user hears about a typo at once; the server
 * still decides (limits, balance) and its errors are shown the same way.
 */

export const CURRENCY_DECIMALS = 2;

export type AmountCheck = { ok: true; amount: string } | { ok: false; message: string };

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d*))?$/;

export function checkAmount(raw: string, decimals: number = CURRENCY_DECIMALS): AmountCheck {
  const text = raw.trim();
  if (text === "") return { ok: false, message: "Enter an amount." };
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return { ok: false, message: "Use digits and an optional decimal point, like 12.50." };
  const [, whole, fraction = ""] = match;
  if (fraction.length > decimals) {
    return { ok: false, message: `Use at most ${decimals} digits after the decimal point.` };
  }
  const units = whole.replace(/^0+(?=\d)/, "");
  if (/^0*$/.test(units + fraction)) return { ok: false, message: "Enter an amount greater than zero." };
  if (units.length > 12) return { ok: false, message: "That amount is too large." };
  return { ok: true, amount: fraction ? `${units}.${fraction.padEnd(decimals, "0")}` : units };
}

/** "1234.5" -> "1,234.50"; the value is formatted as text, never through a float. */
export function formatAmount(amount: string, decimals: number = CURRENCY_DECIMALS): string {
  const negative = amount.startsWith("-");
  const [whole, fraction = ""] = amount.replace(/^[-+]/, "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = decimals > 0 ? `.${fraction.padEnd(decimals, "0").slice(0, decimals)}` : "";
  return `${negative ? "-" : ""}${grouped}${cents}`;
}

export function formatMoney(amount: string, currency: string): string {
  return `${formatAmount(amount)} ${currency}`;
}

/** Compares two decimal strings exactly (no float): negative, zero or positive, like a sort comparator. */
export function compareAmounts(a: string, b: string): number {
  const sign = (value: string) => (value.startsWith("-") && !/^-0*(\.0*)?$/.test(value) ? -1 : 1);
  const [signA, signB] = [sign(a), sign(b)];
  if (signA !== signB) return signA - signB;
  const parts = (value: string) => {
    const [whole, fraction = ""] = value.replace(/^[-+]/, "").split(".");
    return [whole.replace(/^0+/, ""), fraction.replace(/0+$/, "")] as const;
  };
  const [wholeA, fractionA] = parts(a);
  const [wholeB, fractionB] = parts(b);
  const magnitude =
    wholeA.length !== wholeB.length
      ? wholeA.length - wholeB.length
      : wholeA !== wholeB
        ? wholeA > wholeB
          ? 1
          : -1
        : fractionA === fractionB
          ? 0
          : fractionA.padEnd(fractionB.length, "0") > fractionB.padEnd(fractionA.length, "0")
            ? 1
            : -1;
  return Math.sign(magnitude) * signA;
}
