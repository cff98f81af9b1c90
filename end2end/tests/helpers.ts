import { writeFileSync } from "node:fs";
import { expect, Page } from "@playwright/test";

export const PASSWORD = "demo-password-e2e";

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto("/sign-in");
  await page.waitForSelector("body[data-hydrated]");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/leads");
  await page.waitForSelector("body[data-hydrated]");
}

export async function open(page: Page, path: string) {
  await page.goto(path);
  await page.waitForSelector("body[data-hydrated]");
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/sign-in");
  await expect(page.getByRole("heading", { name: "Sign in to Leadline" })).toBeVisible();
}

/** Moves the server's clock `seconds` ahead of real time (0 puts it back),
 * through LEADLINE_TEST_CLOCK_FILE, which the server re-reads every 100 ms. */
export async function setServerClock(seconds: number) {
  // Relative to end2end/, where Playwright and the server both start.
  writeFileSync("../target/e2e/clock-offset", String(seconds));
  await new Promise((resolve) => setTimeout(resolve, 400));
}
