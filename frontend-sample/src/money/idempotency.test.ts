import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { useIdempotencyKey } from "./idempotency";

describe("useIdempotencyKey", () => {
  it("keeps the key while the request is unchanged (retries, double clicks)", () => {
    const { result, rerender } = renderHook(({ request }) => useIdempotencyKey(request), {
      initialProps: { request: { to: "bob", amount: "5.00" } },
    });
    const first = result.current.key;
    rerender({ request: { to: "bob", amount: "5.00" } });
    expect(result.current.key).toBe(first);
  });

  it("makes a new key when what the form would send changes", () => {
    const { result, rerender } = renderHook(({ request }) => useIdempotencyKey(request), {
      initialProps: { request: { to: "bob", amount: "5.00" } },
    });
    const first = result.current.key;
    rerender({ request: { to: "bob", amount: "6.00" } });
    expect(result.current.key).not.toBe(first);
    expect(result.current.key).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("makes a new key once the server has answered", () => {
    const { result } = renderHook(() => useIdempotencyKey({ to: "bob", amount: "5.00" }));
    const first = result.current.key;
    act(() => result.current.settle());
    expect(result.current.key).not.toBe(first);
  });
});
