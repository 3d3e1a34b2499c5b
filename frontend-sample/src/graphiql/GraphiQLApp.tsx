import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "@graphiql/plugin-explorer/style.css";

import { explorerPlugin } from "@graphiql/plugin-explorer";
import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { getOperationAST } from "graphql";
import { createClient } from "graphql-ws";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

// What Strawberry's own GraphiQL page offers, bundled here instead of loaded from a CDN: the headers editor
// (for `Authorization: Bearer <token>`), subscriptions over graphql-ws at the same URL, the explorer plugin,
// and a shareable URL (?q=<operation>&variables=<json>).
const DEFAULT_QUERY = `# GraphiQL for the wallet API.
#
# Sign in with the tokenAuth mutation (or register), then put the token in the
# Headers tab below as {"Authorization": "Bearer <token>"}.
#
# Run: Ctrl-Enter (or the play button). Complete: Ctrl-Space.
# The explorer and the documentation are in the sidebar on the left.

{
  __typename
}
`;

const explorer = explorerPlugin();

/** This page's URL without its query: operations are POSTed there, and subscriptions open its WebSocket twin. */
function endpoints(href: string): { url: string; subscriptionUrl: string } {
  const url = new URL(href);
  url.search = "";
  url.hash = "";
  const socket = new URL(url);
  socket.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return { url: url.toString(), subscriptionUrl: socket.toString() };
}

/** The token of an `Authorization: Bearer <token>` header in the Headers tab, if there is one. */
function bearerToken(headers: Record<string, unknown> | undefined): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {})) {
    const match =
      name.toLowerCase() === "authorization" && typeof value === "string" && /^Bearer\s+(\S+)$/i.exec(value.trim());
    if (match) return match[1];
  }
  return undefined;
}

/**
 * Queries and mutations are POSTed with the Headers tab's headers. A subscription opens its own WebSocket, which
 * the server authenticates once, by `{"authToken": …}` in graphql-ws's connection_init (schema/realtime.py): the
 * token comes from the same Authorization header, so one header serves both.
 */
function createFetcher(href: string): Fetcher {
  const { url, subscriptionUrl } = endpoints(href);
  const http = createGraphiQLFetcher({ url });
  return (params, options) => {
    const operation = options?.documentAST && getOperationAST(options.documentAST, params.operationName);
    if (operation?.operation !== "subscription") return http(params, options);
    const authToken = bearerToken(options?.headers);
    const wsClient = createClient({ url: subscriptionUrl, connectionParams: authToken ? { authToken } : {} });
    return createGraphiQLFetcher({ url, wsClient })(params, options);
  };
}

/** Keeps the operation and its variables in the address bar, so that the URL can be shared. Never headers. */
function keepInUrl(name: "q" | "variables", value: string): void {
  const url = new URL(window.location.href);
  if (value) url.searchParams.set(name, value);
  else url.searchParams.delete(name);
  window.history.replaceState(null, "", url);
}

export function renderGraphiQL(root: HTMLElement): void {
  const params = new URLSearchParams(window.location.search);
  const fetcher = createFetcher(window.location.href);
  createRoot(root).render(
    <StrictMode>
      <GraphiQL
        fetcher={fetcher}
        plugins={[explorer]}
        defaultQuery={DEFAULT_QUERY}
        initialQuery={params.get("q") ?? undefined}
        initialVariables={params.get("variables") ?? undefined}
        onEditQuery={(value) => keepInUrl("q", value)}
        onEditVariables={(value) => keepInUrl("variables", value)}
        defaultEditorToolsVisibility
        isHeadersEditorEnabled
        shouldPersistHeaders
        inputValueDeprecation
      />
    </StrictMode>,
  );
}
