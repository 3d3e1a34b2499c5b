import { describe, expect, it } from "vitest";

import { checkParty, renameFields } from "./party";

describe("checkParty", () => {
  it("reads a username, or a mobile number when it starts with +", () => {
    expect(checkParty("  bob ")).toEqual({ ok: true, username: "bob", mobileNumber: null });
    expect(checkParty("+1 (415) 555-0123")).toEqual({ ok: true, username: null, mobileNumber: "+14155550123" });
  });

  it("refuses nothing, and a number that can't be one", () => {
    expect(checkParty(" ")).toEqual({ ok: false, message: "Enter a username or a mobile number." });
    expect(checkParty("+12ab")).toMatchObject({ ok: false, message: expect.stringContaining("country code") });
  });
});

describe("renameFields", () => {
  it("puts the API's field names on the form's inputs, and leaves the rest", () => {
    const errors = renameFields(
      [
        { code: "RECEIVER_NOT_FOUND", field: "mobileNumber", message: "No one." },
        { code: "INVALID_AMOUNT", field: "amount", message: "Bad." },
        { code: "RATE_LIMITED", field: null, message: "Slow down." },
      ],
      { mobileNumber: "payer" },
    );
    expect(errors.map((error) => error.field)).toEqual(["payer", "amount", null]);
  });
});
