import type { AnyVariables, Client, TypedDocumentNode } from "urql";

/** What a payment would cost, as `quoteTransfer` and the like answer: the fee is on top of the amount. */
export interface Quote {
  amount: string;
  fee: string;
  total: string;
  currency: string;
}

/** Asks the server for a quote (never from the cache: fee rules change), or throws with a sentence to show. */
export async function askQuote<Data, Vars extends AnyVariables>(
  client: Client,
  query: TypedDocumentNode<Data, Vars>,
  variables: Vars,
  pick: (data: Data) => Quote,
): Promise<Quote> {
  const result = await client.query(query, variables, { requestPolicy: "network-only" }).toPromise();
  if (result.data) return pick(result.data);
  const refused = result.error?.graphQLErrors[0]?.message;
  throw new Error(
    refused
      ? `We could not work out the fee: ${refused}`
      : "We could not reach the wallet to work out the fee. Check your connection and try again.",
  );
}
