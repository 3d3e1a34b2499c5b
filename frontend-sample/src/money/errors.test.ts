import { describe, expect, it } from "vitest";

import { badUserInput, ERROR_MESSAGES, mapErrors, messageFor } from "./errors";

describe("mapErrors", () => {
  it("puts an error next to the input its field names", () => {
    const mapped = mapErrors(
      [{ code: "INSUFFICIENT_FUNDS", field: "amount", message: "Insufficient funds." }],
      ["receiverUsername", "amount"] as const,
    );
    expect(mapped).toEqual({ fields: { amount: "Not enough money in your wallet for this." }, form: [] });
  });

  it("puts errors without a field, or with one the form lacks, on the form", () => {
    const mapped = mapErrors(
      [
        { code: "IDEMPOTENCY_KEY_REUSED", field: "idempotencyKey", message: "Key reused." },
        { code: "DAILY_LIMIT_EXCEEDED", field: null, message: "Limit." },
      ],
      ["amount"] as const,
    );
    expect(mapped.fields).toEqual({});
    expect(mapped.form).toEqual([ERROR_MESSAGES.IDEMPOTENCY_KEY_REUSED, ERROR_MESSAGES.DAILY_LIMIT_EXCEEDED]);
  });

  it("keeps the first error of a field and sends the rest to the form", () => {
    const mapped = mapErrors(
      [
        { code: "RECEIVER_NOT_FOUND", field: "receiverUsername", message: "No such user." },
        { code: "SELF_TRANSFER", field: "receiverUsername", message: "Self." },
      ],
      ["receiverUsername"] as const,
    );
    expect(mapped.fields.receiverUsername).toBe(ERROR_MESSAGES.RECEIVER_NOT_FOUND);
    expect(mapped.form).toEqual([ERROR_MESSAGES.SELF_TRANSFER]);
  });

  it("adds the server's detail to validation errors, whose rule only the server knows", () => {
    const mapped = mapErrors(
      [{ code: "WEAK_PASSWORD", field: "password", message: "This password is too common." }],
      ["password"] as const,
    );
    expect(mapped.fields.password).toBe("Choose a stronger password. This password is too common.");
  });
});

describe("messageFor", () => {
  it("has a sentence for every code", () => {
    for (const [code, message] of Object.entries(ERROR_MESSAGES)) {
      expect(message, code).toMatch(/^[A-Z].+\.$/);
    }
  });

  it("falls back for a missing code", () => {
    expect(messageFor(null)).toBe("Something went wrong.");
  });
});

describe("badUserInput", () => {
  it("gives the server's message for a query refused as BAD_USER_INPUT, and nothing for other errors", () => {
    const refused = {
      graphQLErrors: [
        { message: "'minAmount' must not be more than 'maxAmount'.", extensions: { code: "BAD_USER_INPUT" } },
      ],
    };
    expect(badUserInput(refused)).toBe("'minAmount' must not be more than 'maxAmount'.");
    expect(badUserInput({ graphQLErrors: [{ message: "Unexpected error.", extensions: {} }] })).toBeNull();
    expect(badUserInput({ graphQLErrors: [] })).toBeNull();
    expect(badUserInput(undefined)).toBeNull();
  });
});
