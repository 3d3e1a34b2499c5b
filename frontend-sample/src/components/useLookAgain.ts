import { useEffect, useState } from "react";
import type { OperationContext } from "urql";

/**
 * Looks at a query again (from the network) after `delayOf(data)` milliseconds, and again after each look
 * for as long as it gives a delay: a list with something due soon keeps itself up to date. Null: no need.
 */
export function useLookAgain<T>(
  data: T | undefined,
  delayOf: (data: T) => number | null,
  reexecute: (context?: Partial<OperationContext>) => void,
) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const delay = data === undefined ? null : delayOf(data);
    if (delay === null) return;
    const timer = window.setTimeout(() => {
      reexecute({ requestPolicy: "network-only" });
      setTick((value) => value + 1);
    }, delay);
    return () => window.clearTimeout(timer);
    // delayOf is read afresh with each new answer (or look); it need not be stable.
  }, [data, tick, reexecute]);
}
