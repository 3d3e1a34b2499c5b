import { describe, expect, it } from "vitest";

import {
  attemptAnswer,
  checkEndpointForm,
  endpointState,
  formatDuration,
  formatPayload,
  lastAnswer,
  nextPollDelay,
} from "./webhooks";

describe("checkEndpointForm", () => {
  it("makes the input: trimmed URL, event types in a fixed order, enabled", () => {
    expect(
      checkEndpointForm({
        url: "  https://shop.example/hooks/wallet?src=1 ",
        eventTypes: ["TRANSACTION_FAILED", "TRANSACTION_SUCCEEDED"],
      }),
    ).toEqual({
      ok: true,
      input: {
        url: "https://shop.example/hooks/wallet?src=1",
        eventTypes: ["TRANSACTION_SUCCEEDED", "TRANSACTION_FAILED"],
        enabled: true,
      },
    });
    expect(checkEndpointForm({ url: "http://127.0.0.1:8080/hook", eventTypes: ["TRANSACTION_PENDING"] }).ok).toBe(true);
  });

  it("says what is wrong next to each input", () => {
    const check = checkEndpointForm({ url: " ", eventTypes: [] });
    expect(check.ok).toBe(false);
    expect(!check.ok && check.errors).toEqual({
      url: "Enter the URL your server receives webhooks at.",
      eventTypes: "Choose at least one event to send.",
    });
  });

  it("takes whole http(s) URLs with a host only", () => {
    for (const url of ["shop.example/hook", "ftp://shop.example/hook", "https://", "https:///path", "https://a b.example/", "javascript:alert(1)"])
      expect(checkEndpointForm({ url, eventTypes: ["TRANSACTION_SUCCEEDED"] }).ok, url).toBe(false);
    const long = `https://shop.example/${"a".repeat(2000)}`;
    expect(checkEndpointForm({ url: long, eventTypes: ["TRANSACTION_SUCCEEDED"] })).toMatchObject({
      ok: false,
      errors: { url: "Use at most 2000 characters." },
    });
  });

  it("leaves the service's own rules (credentials, fragments, private addresses) to the server", () => {
    for (const url of ["https://user:pw@shop.example/hook", "https://shop.example/hook#x", "http://10.0.0.1/hook"])
      expect(checkEndpointForm({ url, eventTypes: ["TRANSACTION_SUCCEEDED"] }).ok, url).toBe(true);
  });
});

describe("endpointState", () => {
  it("is enabled or disabled", () => {
    expect(endpointState({ enabled: true })).toBe("enabled");
    expect(endpointState({ enabled: false })).toBe("disabled");
  });
});

describe("lastAnswer and attemptAnswer", () => {
  it("say the status once, the sender's error, or that nothing came back", () => {
    expect(lastAnswer({ attempts: 0, lastStatusCode: null, lastError: null })).toBe("Not sent yet");
    expect(lastAnswer({ attempts: 1, lastStatusCode: 200, lastError: null })).toBe("HTTP 200");
    expect(lastAnswer({ attempts: 1, lastStatusCode: 500, lastError: "HTTP 500" })).toBe("HTTP 500");
    expect(lastAnswer({ attempts: 1, lastStatusCode: 301, lastError: "redirect not followed" })).toBe(
      "HTTP 301: redirect not followed",
    );
    expect(lastAnswer({ attempts: 2, lastStatusCode: null, lastError: "timed out" })).toBe("timed out");
    expect(lastAnswer({ attempts: 2, lastStatusCode: null, lastError: null })).toBe("No answer");
    expect(attemptAnswer({ statusCode: 502, error: "HTTP 502" })).toBe("HTTP 502");
    expect(attemptAnswer({ statusCode: null, error: "connection refused" })).toBe("connection refused");
  });
});

describe("formatDuration and formatPayload", () => {
  it("reads as milliseconds, then seconds", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(34)).toBe("34 ms");
    expect(formatDuration(1234)).toBe("1.2 s");
    expect(formatDuration(12_345)).toBe("12 s");
  });

  it("indents the payload", () => {
    expect(formatPayload({ type: "transaction.succeeded", data: { amount: "5.00" } })).toBe(
      '{\n  "type": "transaction.succeeded",\n  "data": {\n    "amount": "5.00"\n  }\n}',
    );
  });
});

describe("nextPollDelay", () => {
  const now = Date.parse("2030-01-01T12:00:00Z");
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();

  it("does not poll while nothing is pending", () => {
    expect(nextPollDelay([], now)).toBeNull();
    expect(
      nextPollDelay([{ status: "SUCCEEDED", attempts: 1, nextAttemptAt: null }, { status: "FAILED", attempts: 9 }], now),
    ).toBeNull();
  });

  it("looks again a second after the earliest retry is due, between 1 and 15 seconds from now", () => {
    expect(nextPollDelay([{ status: "PENDING", attempts: 1, nextAttemptAt: at(3) }], now)).toBe(4000);
    expect(
      nextPollDelay(
        [
          { status: "PENDING", attempts: 2, nextAttemptAt: at(9) },
          { status: "PENDING", attempts: 1, nextAttemptAt: at(2) },
          { status: "SUCCEEDED", attempts: 1, nextAttemptAt: null },
        ],
        now,
      ),
    ).toBe(3000);
    expect(nextPollDelay([{ status: "PENDING", attempts: 1, nextAttemptAt: at(-30) }], now)).toBe(1000);
    expect(nextPollDelay([{ status: "PENDING", attempts: 1, nextAttemptAt: null }], now)).toBe(1000);
    expect(nextPollDelay([{ status: "PENDING", attempts: 3, nextAttemptAt: at(3600) }], now)).toBe(15_000);
  });

  it("looks again in a second at one never tried: it is being sent, and its nextAttemptAt may be a sender's lease", () => {
    expect(nextPollDelay([{ status: "PENDING", attempts: 0, nextAttemptAt: at(60) }], now)).toBe(1000);
    expect(
      nextPollDelay(
        [
          { status: "PENDING", attempts: 0, nextAttemptAt: at(60) },
          { status: "PENDING", attempts: 4, nextAttemptAt: at(27) },
        ],
        now,
      ),
    ).toBe(1000);
  });
});
