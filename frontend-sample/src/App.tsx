import { useEffect, useState } from "react";
import { Navigate, Outlet, Route, Routes, useLocation } from "react-router";
import { Provider } from "urql";

import { createApiClient } from "./api/client";
import { hasSession, onSessionChange } from "./auth/session";
import { Layout } from "./components/Layout";
import { ApiKeysPage } from "./pages/ApiKeysPage";
import { LoginPage, SignupPage } from "./pages/AuthPages";
import { DashboardPage } from "./pages/DashboardPage";
import { HistoryPage } from "./pages/HistoryPage";
import { HoldsPage } from "./pages/HoldsPage";
import { AddMoneyPage, PayByMobilePage, TransferPage, WithdrawPage } from "./pages/MoneyPages";
import { RequestsPage } from "./pages/RequestsPage";
import { SecurityPage } from "./pages/SecurityPage";
import { StandingOrdersPage } from "./pages/StandingOrdersPage";
import { StatementsPage } from "./pages/StatementsPage";
import { TransactionPage } from "./pages/TransactionPage";
import { WebhooksPage } from "./pages/WebhooksPage";

function RequireSession({ signedIn }: { signedIn: boolean }) {
  const location = useLocation();
  if (!signedIn) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <Outlet />;
}

function PublicOnly({ signedIn }: { signedIn: boolean }) {
  return signedIn ? <Navigate to="/" replace /> : <Outlet />;
}

export function App() {
  const [signedIn, setSignedIn] = useState(hasSession);
  const [api, setApi] = useState(createApiClient);

  // Signing in or out starts from a clean client: no cached data or open socket carries over.
  useEffect(
    () =>
      onSessionChange(() => {
        setSignedIn(hasSession());
        setApi((previous) => {
          previous.dispose();
          return createApiClient();
        });
      }),
    [],
  );

  return (
    <Provider value={api.client}>
      <Routes>
        <Route element={<PublicOnly signedIn={signedIn} />}>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/signup" element={<SignupPage />} />
        </Route>
        <Route element={<RequireSession signedIn={signedIn} />}>
          <Route element={<Layout />}>
            <Route index element={<DashboardPage />} />
            <Route path="/add-money" element={<AddMoneyPage />} />
            <Route path="/transfer" element={<TransferPage />} />
            <Route path="/pay-by-mobile" element={<PayByMobilePage />} />
            <Route path="/withdraw" element={<WithdrawPage />} />
            <Route path="/holds" element={<HoldsPage />} />
            <Route path="/requests" element={<RequestsPage />} />
            <Route path="/standing-orders" element={<StandingOrdersPage />} />
            <Route path="/history" element={<HistoryPage />} />
            <Route path="/statement" element={<StatementsPage />} />
            <Route path="/api-keys" element={<ApiKeysPage />} />
            <Route path="/webhooks" element={<WebhooksPage />} />
            <Route path="/security" element={<SecurityPage />} />
            <Route path="/transactions/:id" element={<TransactionPage />} />
            <Route path="*" element={<Navigate to="/" replace />} />
          </Route>
        </Route>
      </Routes>
    </Provider>
  );
}
