import { MoneyForm } from "../components/MoneyForm";
import { useViewer } from "../components/Viewer";
import { graphql } from "../gql";
import { formatMoney } from "../money/amount";
import { askQuote } from "../money/quote";

export const QuoteFields = graphql(`
  fragment QuoteFields on TransferQuote {
    amount
    fee
    total
    currency
  }
`);

const QuoteTransfer = graphql(`
  query QuoteTransfer($amount: Decimal!, $receiverUsername: String, $mobileNumber: String) {
    quoteTransfer(amount: $amount, receiverUsername: $receiverUsername, mobileNumber: $mobileNumber) {
      ...QuoteFields
    }
  }
`);

const QuoteWithdrawal = graphql(`
  query QuoteWithdrawal($amount: Decimal!) {
    quoteWithdrawal(amount: $amount) {
      ...QuoteFields
    }
  }
`);

// Each payload asks for the wallet back, so urql's cache refreshes every screen that shows the balance.
const AddMoney = graphql(`
  mutation AddMoney($input: AddMoneyInput!) {
    addMoney(input: $input) {
      transaction {
        id
        status
      }
      wallet {
        id
        balance
        availableBalance
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

const Transfer = graphql(`
  mutation Transfer($input: TransferInput!) {
    transfer(input: $input) {
      transaction {
        id
        status
      }
      wallet {
        id
        balance
        availableBalance
        transferredToday
        limits {
          ...WalletLimitsFields
        }
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

const PayByMobile = graphql(`
  mutation PayByMobile($input: PayByMobileInput!) {
    payByMobile(input: $input) {
      transaction {
        id
        status
      }
      wallet {
        id
        balance
        availableBalance
        transferredToday
        limits {
          ...WalletLimitsFields
        }
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

export const Withdraw = graphql(`
  mutation Withdraw($input: WithdrawInput!) {
    withdraw(input: $input) {
      transaction {
        id
        status
      }
      wallet {
        id
        balance
        availableBalance
        limits {
          ...WalletLimitsFields
        }
      }
      replayed
      errors {
        code
        field
        message
      }
    }
  }
`);

const optionalNote = (note: string) => (note === "" ? null : note);

export function AddMoneyPage() {
  const { currency } = useViewer();
  return (
    <section aria-labelledby="add-money-title">
      <h1 id="add-money-title">Add money</h1>
      <MoneyForm
        fields={[{ name: "amount", label: "Amount", kind: "amount", required: true, hint: `In ${currency}` }]}
        withTags
        submitLabel="Add money"
        mutation={AddMoney}
        variables={(values, idempotencyKey, tags) => ({ input: { amount: values.amount, idempotencyKey, ...tags } })}
        payload={(data) => data.addMoney}
        success={(values) => `Added ${formatMoney(values.amount, currency)}.`}
      />
    </section>
  );
}

export function TransferPage() {
  const { currency } = useViewer();
  return (
    <section aria-labelledby="transfer-title">
      <h1 id="transfer-title">Send money</h1>
      <MoneyForm
        fields={[
          { name: "receiverUsername", label: "Username", kind: "text", required: true, hint: "Who gets the money" },
          { name: "amount", label: "Amount", kind: "amount", required: true, hint: `In ${currency}` },
          { name: "note", label: "Note", kind: "text", hint: "Optional" },
        ]}
        withTags
        submitLabel="Send"
        review={{
          quote: (client, values) =>
            askQuote(client, QuoteTransfer, { amount: values.amount, receiverUsername: values.receiverUsername }, (data) => data.quoteTransfer),
          summary: (values) => [
            ["To", values.receiverUsername],
            ["Note", values.note],
          ],
        }}
        mutation={Transfer}
        variables={(values, idempotencyKey, tags) => ({
          input: {
            receiverUsername: values.receiverUsername,
            amount: values.amount,
            note: optionalNote(values.note),
            idempotencyKey,
            ...tags,
          },
        })}
        payload={(data) => data.transfer}
        success={(values) => `Sent ${formatMoney(values.amount, currency)} to ${values.receiverUsername}.`}
      />
    </section>
  );
}

export function PayByMobilePage() {
  const { currency } = useViewer();
  return (
    <section aria-labelledby="pay-by-mobile-title">
      <h1 id="pay-by-mobile-title">Pay by mobile number</h1>
      <MoneyForm
        fields={[
          {
            name: "mobileNumber",
            label: "Mobile number",
            kind: "tel",
            required: true,
            hint: "With its country code, like +14155550123",
            autoComplete: "tel",
          },
          { name: "amount", label: "Amount", kind: "amount", required: true, hint: `In ${currency}` },
          { name: "note", label: "Note", kind: "text", hint: "Optional" },
        ]}
        withTags
        submitLabel="Pay"
        review={{
          quote: (client, values) =>
            askQuote(client, QuoteTransfer, { amount: values.amount, mobileNumber: values.mobileNumber }, (data) => data.quoteTransfer),
          summary: (values) => [
            ["To", values.mobileNumber],
            ["Note", values.note],
          ],
        }}
        mutation={PayByMobile}
        variables={(values, idempotencyKey, tags) => ({
          input: {
            mobileNumber: values.mobileNumber,
            amount: values.amount,
            note: optionalNote(values.note),
            idempotencyKey,
            ...tags,
          },
        })}
        payload={(data) => data.payByMobile}
        success={(values) => `Paid ${formatMoney(values.amount, currency)} to ${values.mobileNumber}.`}
      />
    </section>
  );
}

export function WithdrawPage() {
  const { currency } = useViewer();
  return (
    <section aria-labelledby="withdraw-title">
      <h1 id="withdraw-title">Withdraw</h1>
      <MoneyForm
        fields={[{ name: "amount", label: "Amount", kind: "amount", required: true, hint: `In ${currency}` }]}
        withTags
        submitLabel="Withdraw"
        review={{
          quote: (client, values) =>
            askQuote(client, QuoteWithdrawal, { amount: values.amount }, (data) => data.quoteWithdrawal),
        }}
        mutation={Withdraw}
        variables={(values, idempotencyKey, tags) => ({ input: { amount: values.amount, idempotencyKey, ...tags } })}
        payload={(data) => data.withdraw}
        success={(values) => `Withdrew ${formatMoney(values.amount, currency)}.`}
      />
    </section>
  );
}
