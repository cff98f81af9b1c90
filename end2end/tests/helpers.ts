import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { expect, Page } from "@playwright/test";

export const PASSWORD = "demo-password-e2e";
/** The demo admin's authenticator secret (LEADLINE_DEMO_TOTP_SECRET). */
export const ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const SECRETS: Record<string, string> = { "admin@leadline.test": ADMIN_TOTP_SECRET };

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto("/sign-in");
  await page.waitForSelector("body[data-hydrated]");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/(leads|sign-in\/code)$/);
  if (page.url().endsWith("/sign-in/code")) {
    await page.getByLabel("Authentication code").fill(await freshCode(SECRETS[email]));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL("**/leads");
  }
  await page.waitForSelector("body[data-hydrated]");
}

function base32(secret: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s): the code an app shows at `unixSecs`,
 * written here apart from the server's implementation. */
export function totp(secret: string, unixSecs: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSecs / 30)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  const n = ((mac[at] & 0x7f) << 24) | (mac[at + 1] << 16) | (mac[at + 2] << 8) | mac[at + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

/** The server's time, in seconds: real time plus the test clock's offset. */
export function serverNow(): number {
  const file = "../target/e2e/clock-offset";
  const offset = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) || 0 : 0;
  return Date.now() / 1000 + offset;
}

/** A code the server has not seen used for its account: the server takes
 * each time step once, so sign-ins close together wait for the next one.
 * The steps used are kept in a file: tests run one at a time. */
export async function freshCode(secret: string): Promise<string> {
  mkdirSync("../target/e2e", { recursive: true });
  const file = `../target/e2e/totp-last-step-${secret.slice(0, 8)}`;
  const last = existsSync(file) ? Number(readFileSync(file, "utf8")) : 0;
  let now = Math.floor(serverNow() / 30);
  // The server accepts a step either side of its own.
  let step = Math.max(last + 1, now - 1);
  while (step > now + 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    now = Math.floor(serverNow() / 30);
  }
  writeFileSync(file, String(step));
  return totp(secret, step * 30);
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
