import { describe, expect, it } from "vitest";

import { checkRequestForm, type RequestFormValues } from "./requests";

const VALUES: RequestFormValues = { payer: "bob", amount: "12.5", note: " dinner ", expiry: "86400", hours: "" };

describe("checkRequestForm", () => {
  it("asks a username for a canonical amount, with a day to pay", () => {
    expect(checkRequestForm(VALUES)).toEqual({
      ok: true,
      input: { payerUsername: "bob", mobileNumber: null, amount: "12.50", note: "dinner", expiresInSeconds: 86400 },
    });
  });

  it("asks a mobile number, without a note, for a custom number of hours", () => {
    const check = checkRequestForm({ ...VALUES, payer: "+14155550123", note: "", expiry: "custom", hours: "36" });
    expect(check).toEqual({
      ok: true,
      input: {
        payerUsername: null,
        mobileNumber: "+14155550123",
        amount: "12.50",
        note: null,
        expiresInSeconds: 129600,
      },
    });
  });

  it("says what is wrong next to each input", () => {
    const check = checkRequestForm({ payer: "", amount: "1,5", note: "", expiry: "custom", hours: "721" });
    expect(check).toEqual({
      ok: false,
      errors: {
        payer: "Enter a username or a mobile number.",
        amount: "Use digits and an optional decimal point, like 12.50.",
        expiry: "Enter a whole number of hours from 1 to 720 (30 days).",
      },
    });
    expect(checkRequestForm({ ...VALUES, expiry: "custom", hours: "0" })).toMatchObject({ ok: false });
    expect(checkRequestForm({ ...VALUES, expiry: "custom", hours: "1.5" })).toMatchObject({ ok: false });
  });
});
