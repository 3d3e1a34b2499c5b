import { print } from "graphql";

import { graphql } from "../gql";
import type { RefreshSessionMutation, RefreshSessionMutationVariables } from "../gql/graphql";

/**
 * The signed-in session. The access token lives in memory only; the refresh token is kept in
 * sessionStorage so a reload of this tab stays signed in, and nothing survives closing the tab.
 * Neither ever goes into a URL.
 */

const REFRESH_TOKEN_KEY = "wallet.refreshToken";
// Renew this long before the access token expires, so a request never leaves with a dying token.
const RENEW_BEFORE_EXPIRY_MS = 5_000;

export const RefreshSession = graphql(`
  mutation RefreshSession($refreshToken: String!) {
    refreshToken(refreshToken: $refreshToken) {
      token
      refreshToken
      errors {
        code
        message
      }
    }
  }
`);

type Listener = () => void;

let accessToken: string | null = null;
let renewal: Promise<string | null> | null = null;
const listeners = new Set<Listener>();

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function getAccessToken(): string | null {
  return accessToken;
}

export function getRefreshToken(): string | null {
  return storage()?.getItem(REFRESH_TOKEN_KEY) ?? null;
}

export function hasSession(): boolean {
  return accessToken !== null || getRefreshToken() !== null;
}

function storeTokens(token: string, refreshToken: string): void {
  accessToken = token;
  storage()?.setItem(REFRESH_TOKEN_KEY, refreshToken);
}

export function startSession(token: string, refreshToken: string): void {
  storeTokens(token, refreshToken);
  listeners.forEach((listener) => listener());
}

export function endSession(): void {
  accessToken = null;
  renewal = null;
  storage()?.removeItem(REFRESH_TOKEN_KEY);
  listeners.forEach((listener) => listener());
}

/** Called when the user signs in or out (not on renewals): the app drops its cached data. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Milliseconds since the epoch at which a JWT expires, or null if it cannot be read. */
export function tokenExpiry(token: string): number | null {
  try {
    const part = token.split(".")[1];
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}

export function needsRenewal(token: string | null, now: number = Date.now()): boolean {
  if (token === null) return true;
  const expiry = tokenExpiry(token);
  return expiry === null || expiry - now <= RENEW_BEFORE_EXPIRY_MS;
}

async function requestRenewal(refreshToken: string): Promise<string | null> {
  const variables: RefreshSessionMutationVariables = { refreshToken };
  let response: Response;
  try {
    response = await fetch("/graphql/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ operationName: "RefreshSession", query: print(RefreshSession), variables }),
    });
  } catch {
    // Offline: keep the session and let the request fail as a network error; the user may retry.
    return accessToken;
  }
  const body = (await response.json().catch(() => null)) as { data?: RefreshSessionMutation } | null;
  const payload = body?.data?.refreshToken;
  if (payload?.token && payload.refreshToken && payload.errors.length === 0) {
    storeTokens(payload.token, payload.refreshToken);
    return payload.token;
  }
  // The refresh token was revoked, rotated away or expired: the user has to log in again.
  endSession();
  return null;
}

/**
 * A usable access token: the current one, or a renewed one when it is about to expire.
 * Concurrent callers share one renewal, because refresh tokens rotate and work only once.
 */
export function freshAccessToken(): Promise<string | null> {
  if (!needsRenewal(accessToken)) return Promise.resolve(accessToken);
  return renewAccessToken();
}

export function renewAccessToken(): Promise<string | null> {
  const refreshToken = getRefreshToken();
  if (refreshToken === null) {
    endSession();
    return Promise.resolve(null);
  }
  renewal ??= requestRenewal(refreshToken).finally(() => {
    renewal = null;
  });
  return renewal;
}
