import { describe, expect, it } from "vitest";

import { apiKeyState, checkApiKeyForm } from "./apiKeys";

describe("checkApiKeyForm", () => {
  it("makes the input: trimmed name, scopes in a fixed order, no expiry when empty", () => {
    expect(checkApiKeyForm({ name: " Shop server ", scopes: ["MOVE_MONEY", "READ"], expiresInDays: " " })).toEqual({
      ok: true,
      input: { name: "Shop server", scopes: ["READ", "MOVE_MONEY"], expiresInDays: null },
    });
    expect(checkApiKeyForm({ name: "ci", scopes: ["READ"], expiresInDays: "30" })).toMatchObject({
      ok: true,
      input: { expiresInDays: 30 },
    });
  });

  it("says what is wrong next to each input", () => {
    const check = checkApiKeyForm({ name: "  ", scopes: [], expiresInDays: "0" });
    expect(check.ok).toBe(false);
    expect(!check.ok && check.errors).toEqual({
      name: "Enter a name for the key.",
      scopes: "Choose at least one thing the key may do.",
      expiresInDays: "Enter a whole number of days from 1 to 3650, or leave it empty.",
    });
  });

  it("takes 1 to 3650 whole days only", () => {
    for (const days of ["1", "3650"]) expect(checkApiKeyForm({ name: "k", scopes: ["READ"], expiresInDays: days }).ok).toBe(true);
    for (const days of ["3651", "1.5", "-1", "1e3", "ten"])
      expect(checkApiKeyForm({ name: "k", scopes: ["READ"], expiresInDays: days }).ok).toBe(false);
  });

  it("takes a name of at most 100 printable characters", () => {
    expect(checkApiKeyForm({ name: "n".repeat(100), scopes: ["READ"], expiresInDays: "" }).ok).toBe(true);
    expect(checkApiKeyForm({ name: "n".repeat(101), scopes: ["READ"], expiresInDays: "" }).ok).toBe(false);
    expect(checkApiKeyForm({ name: "a\u0007", scopes: ["READ"], expiresInDays: "" }).ok).toBe(false);
  });
});

describe("apiKeyState", () => {
  const now = new Date("2030-01-01T12:00:00Z");
  it("is revoked, expired or active", () => {
    expect(apiKeyState({ revokedAt: "2029-12-31T00:00:00Z", expiresAt: null }, now)).toBe("revoked");
    expect(apiKeyState({ revokedAt: "2029-12-31T00:00:00Z", expiresAt: "2029-01-01T00:00:00Z" }, now)).toBe("revoked");
    expect(apiKeyState({ revokedAt: null, expiresAt: "2030-01-01T12:00:00Z" }, now)).toBe("expired");
    expect(apiKeyState({ revokedAt: null, expiresAt: "2030-01-02T00:00:00Z" }, now)).toBe("active");
    expect(apiKeyState({ revokedAt: null, expiresAt: null }, now)).toBe("active");
  });
});
