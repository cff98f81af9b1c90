import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The flows that cross two requests (a post, then the page its redirect
// shows), through two release instances on one PostgreSQL behind nginx,
// round robin without affinity (scripts/balanced-servers.sh). Run through
// scripts/with-postgres.sh, which provides the database.
export default defineConfig({
  ...base,
  testDir: "./balanced",
  webServer: {
    command: "../scripts/balanced-servers.sh",
    cwd: ".",
    url: "http://127.0.0.1:3000/sign-in",
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
