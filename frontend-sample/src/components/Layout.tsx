import { useEffect, useRef } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useMutation, useQuery } from "urql";

import { endSession, getRefreshToken } from "../auth/session";
import { graphql } from "../gql";
import { ViewerContext } from "./Viewer";

const ViewerQuery = graphql(`
  query Viewer {
    me {
      id
      username
      mobileNumber
    }
    wallet {
      id
      currency
    }
  }
`);

const LogOut = graphql(`
  mutation LogOut($refreshToken: String!) {
    revokeToken(refreshToken: $refreshToken) {
      revoked
    }
  }
`);

const LINKS = [
  { to: "/", label: "Dashboard" },
  { to: "/add-money", label: "Add money" },
  { to: "/transfer", label: "Send" },
  { to: "/pay-by-mobile", label: "Pay by mobile" },
  { to: "/withdraw", label: "Withdraw" },
  { to: "/holds", label: "Holds" },
  { to: "/requests", label: "Requests" },
  { to: "/standing-orders", label: "Standing orders" },
  { to: "/history", label: "History" },
  { to: "/statement", label: "Statements" },
  { to: "/api-keys", label: "API keys" },
  { to: "/webhooks", label: "Webhooks" },
  { to: "/security", label: "Security" },
];

export function Layout() {
  const [{ data, error }] = useQuery({ query: ViewerQuery });
  const [, revoke] = useMutation(LogOut);
  const navigate = useNavigate();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const firstPage = useRef(true);

  // After an in-app navigation, move focus to the new page so keyboard and screen-reader users start
  // there; on the first page the browser's own start (the skip link first) is kept.
  useEffect(() => {
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    main.current?.focus();
  }, [location.pathname]);

  async function logOut() {
    const refreshToken = getRefreshToken();
    if (refreshToken) await revoke({ refreshToken });
    endSession();
    navigate("/login", { replace: true });
  }

  const viewer = data ? { ...data.me, currency: data.wallet.currency } : null;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <span className="brand">Wallet</span>
        <nav aria-label="Main">
          <ul>
            {LINKS.map((link) => (
              <li key={link.to}>
                <NavLink to={link.to} end={link.to === "/"}>
                  {link.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          {viewer && <span className="username">{viewer.username}</span>}
          <button type="button" className="secondary" onClick={logOut}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {error && !data && <p role="alert">Could not load your account. Check your connection and reload.</p>}
        {viewer && (
          <ViewerContext.Provider value={viewer}>
            <Outlet />
          </ViewerContext.Provider>
        )}
      </main>
    </>
  );
}
