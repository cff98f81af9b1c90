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

/** Creates a key through "New key" (Leads: read, and an expiry if given)
 * and returns its plaintext, read from the reveal, which it then closes. */
export async function createKey(page: Page, name: string, expiry = "") {
  await page.getByRole("button", { name: "New key" }).first().click();
  const form = page.getByRole("dialog", { name: "New key" });
  await form.getByLabel("Key name").fill(name);
  await form.getByLabel("read", { exact: true }).check();
  if (expiry) await form.getByLabel("Expiry").fill(expiry);
  await form.getByRole("button", { name: "Create key" }).click();
  return await takeRevealedKey(page);
}

/** Reads the key the reveal shows (the field's value, masked or not) and
 * closes the dialog with Done. */
export async function takeRevealedKey(page: Page) {
  const reveal = page.getByRole("dialog", { name: "Your new API key" });
  await expect(reveal).toBeVisible();
  const key = await reveal.getByLabel("API key").inputValue();
  await reveal.getByRole("button", { name: "Done" }).click();
  await expect(reveal).toBeHidden();
  return key;
}

/** The docs pages of the API's endpoints, as /docs links to them. */
export async function endpointPages(page: Page): Promise<string[]> {
  await open(page, "/docs");
  const hrefs = await page.locator('a[href^="/docs/"]').evaluateAll((links) =>
    links.map((a) => a.getAttribute("href") ?? ""),
  );
  return [...new Set(hrefs.filter((h) => !h.includes("#")))];
}
