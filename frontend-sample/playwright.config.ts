import { defineConfig } from "@playwright/test";

// End-to-end tests drive Debian's Chromium (never a downloaded browser) against the real service:
// `python -m scripts.harness e2e` starts a throwaway PostgreSQL and serves the built app and the API on one origin.
const port = Number(process.env.E2E_PORT ?? 8765);
export const ACCESS_TOKEN_SECONDS = 12;

export default defineConfig({
  testDir: "e2e",
  // One server process and two cores: the tests share the database and run one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  forbidOnly: true,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // As root, Chromium's sandbox cannot start; these tests load only our own pages.
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: {
    command: `.venv/bin/python -m scripts.harness e2e --port ${port} --access-token-seconds ${ACCESS_TOKEN_SECONDS}`,
    cwd: "..",
    url: `http://127.0.0.1:${port}/login`,
    timeout: 180_000,
    reuseExistingServer: false,
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    stdout: "ignore",
    stderr: "pipe",
  },
});
