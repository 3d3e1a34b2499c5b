/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the app with hot reload and forwards the API (HTTP and WebSocket) to the Django
// service, so the browser sees one origin just as it does when Django serves the built app.
const api = process.env.WALLET_API_ORIGIN ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/graphql/": { target: api, ws: true },
      "/receipts/": { target: api },
      "/statements/": { target: api },
      // GraphiQL's page (at /graphql/) loads its files as built by `npm run build`, which Django serves.
      "/graphiql/": { target: api },
      "/assets/": { target: api },
    },
  },
  build: { sourcemap: true },
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "jsdom",
  },
});
