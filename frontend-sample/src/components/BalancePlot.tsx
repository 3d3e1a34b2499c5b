import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { axisAmount, chartData, type BalancePoint } from "../history/balance";
import { formatMoney } from "../money/amount";

/**
 * The drawing alone (recharts, loaded with the dashboard's chart only). It is a picture: the figure around it
 * gives the accessible name and the figures as text, so recharts' own keyboard layer is off.
 */
export default function BalancePlot({ points, currency }: { points: readonly BalancePoint[]; currency: string }) {
  const data = chartData(points);
  return (
    <ResponsiveContainer width="100%" height={220}>
      <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--line)" />
        <XAxis dataKey="day" tick={{ fontSize: 12 }} minTickGap={24} tickLine={false} />
        <YAxis tickFormatter={axisAmount} tick={{ fontSize: 12 }} width={44} tickLine={false} axisLine={false} />
        <Tooltip
          formatter={(_value, _name, item) => [formatMoney(item.payload.balance, currency), "Balance"]}
          isAnimationActive={false}
        />
        <Area
          type="linear"
          dataKey="value"
          stroke="var(--accent)"
          strokeWidth={2}
          fill="var(--accent)"
          fillOpacity={0.12}
          isAnimationActive={false}
        />
      </AreaChart>
    </ResponsiveContainer>
  );
}
