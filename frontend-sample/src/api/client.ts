import { authExchange } from "@urql/exchange-auth";
import { createClient as createWSClient } from "graphql-ws";
import { cacheExchange, Client, fetchExchange, subscriptionExchange, type CombinedError } from "urql";

import { freshAccessToken, getAccessToken, getRefreshToken, needsRenewal, renewAccessToken } from "../auth/session";

function isUnauthenticated(error: CombinedError): boolean {
  return error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
}

function webSocketUrl(): string {
  const url = new URL("/graphql/", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** One client per signed-in session: signing out drops it, its cache and its WebSocket. */
export function createApiClient(): { client: Client; dispose: () => void } {
  const subscriptions = createWSClient({
    url: webSocketUrl(),
    lazy: true,
    // The server authenticates a WebSocket once, when it connects; a reconnect gets a fresh token.
    connectionParams: async () => ({ authToken: await freshAccessToken() }),
    retryAttempts: 10,
  });

  const client = new Client({
    url: "/graphql/",
    // The API runs operations from POST only (GET serves the GraphiQL page).
    preferGetMethod: false,
    // No cookies: the API authenticates by bearer header only.
    fetchOptions: { credentials: "omit" },
    exchanges: [
      cacheExchange,
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = getAccessToken();
          return token ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` }) : operation;
        },
        // Before: renew a token that is about to expire, so the request does not fail first.
        willAuthError() {
          return getRefreshToken() !== null && needsRenewal(getAccessToken());
        },
        // When: the server said the token is no longer good (expired in flight, clock skew).
        didAuthError: isUnauthenticated,
        async refreshAuth() {
          await renewAccessToken();
        },
      })),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = subscriptions.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return { client, dispose: () => void subscriptions.dispose() };
}
