import { defineConfig, devices } from "@playwright/test";

// The server is the optimized build users run (`make release`: release binary,
// size-optimized wasm, hashed and precompressed assets), on a fresh database
// every run, with a known demo password. E2E_DATABASE_URL runs it on
// PostgreSQL instead (scripts/with-postgres.sh makes a fresh cluster).
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: { baseURL: "http://127.0.0.1:3000", trace: "off" },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        },
      },
    },
  ],
  webServer: [{
    // A real SMTP server (aiosmtpd from `make setup-test`): the mail the
    // server sends lands in a maildir that the notification tests read.
    command: "rm -rf ../target/e2e-mail && ../.tools/test/bin/python -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Mailbox ../target/e2e-mail",
    cwd: ".",
    port: 2525,
    reuseExistingServer: false,
    timeout: 30_000,
  }, {
    command: "rm -rf ../target/e2e && mkdir -p ../target/e2e && ../target/release/leadline serve",
    cwd: ".",
    url: "http://127.0.0.1:3000/sign-in",
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? "sqlite://../target/e2e/leadline.db",
      LEADLINE_DEMO: "true",
      LEADLINE_DEMO_PASSWORD: "demo-password-e2e",
      // The demo admin signs in with two factors (helpers.ts has the secret).
      LEADLINE_DEMO_TOTP_SECRET: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
      LEPTOS_SITE_ROOT: "../target/site",
      LEPTOS_SITE_ADDR: "127.0.0.1:3000",
      LEADLINE_LOG: "warn",
      // Tests move the server's time by writing seconds here (helpers.ts).
      LEADLINE_TEST_CLOCK_FILE: "../target/e2e/clock-offset",
      LEADLINE_SMTP_URL: "smtp://127.0.0.1:2525",
      // Mail goes out within a second of its event.
      LEADLINE_NOTIFY_INTERVAL_SECS: "1",
    },
  }],
});
