import { describe, expect, it } from "vitest";

import { checkMetadata, checkReference, isPrintable, metadataEntries, metadataFingerprint } from "./tags";

describe("checkReference", () => {
  it("trims, and is null when empty", () => {
    expect(checkReference("  ORDER-1 ")).toEqual({ ok: true, reference: "ORDER-1" });
    expect(checkReference("   ")).toEqual({ ok: true, reference: null });
  });

  it("takes up to 100 characters", () => {
    expect(checkReference("x".repeat(100))).toEqual({ ok: true, reference: "x".repeat(100) });
    const long = checkReference("x".repeat(101));
    expect(long.ok).toBe(false);
    expect(!long.ok && long.message).toBe("Use at most 100 characters (this has 101).");
  });

  it("refuses what the server would not print", () => {
    expect(checkReference("a\tb").ok).toBe(false);
    expect(checkReference("a\u200bb").ok).toBe(false);
    expect(checkReference("Bestellung Nº 7 – café").ok).toBe(true);
  });
});

describe("isPrintable (as Python's str.isprintable)", () => {
  it("allows the plain space and refuses other separators and controls", () => {
    expect(isPrintable("a b")).toBe(true);
    expect(isPrintable("a\u00a0b")).toBe(false);
    expect(isPrintable("a\nb")).toBe(false);
    expect(isPrintable("😀")).toBe(true);
  });
});

describe("checkMetadata", () => {
  it("turns rows into an object, trimmed, skipping empty rows", () => {
    expect(
      checkMetadata([
        { key: " order_id ", value: " 1234 " },
        { key: "", value: "" },
        { key: "channel", value: "web" },
      ]),
    ).toEqual({ ok: true, metadata: { order_id: "1234", channel: "web" } });
  });

  it("is null when no row is filled in", () => {
    expect(checkMetadata([])).toEqual({ ok: true, metadata: null });
    expect(checkMetadata([{ key: " ", value: "" }])).toEqual({ ok: true, metadata: null });
  });

  it("keeps an empty value under a key", () => {
    expect(checkMetadata([{ key: "gift", value: "" }])).toEqual({ ok: true, metadata: { gift: "" } });
  });

  it("names the row and input at fault", () => {
    expect(checkMetadata([{ key: "a", value: "1" }, { key: "", value: "orphan" }])).toMatchObject({
      ok: false,
      row: 1,
      part: "key",
      message: "Give this value a key, or clear it.",
    });
    expect(checkMetadata([{ key: "order id", value: "1" }])).toMatchObject({ ok: false, row: 0, part: "key" });
    expect(checkMetadata([{ key: "k".repeat(41), value: "1" }])).toMatchObject({
      ok: false,
      message: "Use at most 40 characters for a key.",
    });
    expect(checkMetadata([{ key: "v", value: "x".repeat(501) }])).toMatchObject({ ok: false, row: 0, part: "value" });
    expect(checkMetadata([{ key: "v", value: "x".repeat(500) }]).ok).toBe(true);
  });

  it("accepts the key characters the server does, and refuses a key used twice", () => {
    expect(checkMetadata([{ key: "a-b_c.d:e9", value: "1" }]).ok).toBe(true);
    expect(checkMetadata([{ key: "é", value: "1" }]).ok).toBe(false);
    expect(checkMetadata([{ key: "a", value: "1" }, { key: " a", value: "2" }])).toMatchObject({
      ok: false,
      row: 1,
      part: "key",
      message: "The key “a” is used twice.",
    });
  });
});

describe("metadataFingerprint", () => {
  it("changes with what would be sent, not with empty rows or spaces", () => {
    const base = metadataFingerprint([{ key: "a", value: "1" }]);
    expect(metadataFingerprint([{ key: " a ", value: "1" }, { key: "", value: "" }])).toEqual(base);
    expect(metadataFingerprint([{ key: "a", value: "2" }])).not.toEqual(base);
  });
});

describe("metadataEntries", () => {
  it("lists an object's pairs by key, and nothing for anything else", () => {
    expect(metadataEntries({ b: "2", a: "1" })).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    expect(metadataEntries(null)).toEqual([]);
    expect(metadataEntries(["a"])).toEqual([]);
    expect(metadataEntries("a")).toEqual([]);
    expect(metadataEntries({ n: 5 })).toEqual([["n", "5"]]);
  });
});
