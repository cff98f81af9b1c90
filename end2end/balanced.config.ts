import { defineConfig, devices } from "@playwright/test";

// The flows that cross two requests (a post, then the page its redirect
// shows), through two release instances on one PostgreSQL behind nginx,
// round robin without affinity (scripts/balanced-servers.sh). Run through
// scripts/with-postgres.sh, which provides the database.
export default defineConfig({
  testDir: "./balanced",
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
  webServer: {
    command: "../scripts/balanced-servers.sh",
    cwd: ".",
    url: "http://127.0.0.1:3000/sign-in",
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
