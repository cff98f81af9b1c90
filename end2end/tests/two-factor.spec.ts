import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { freshCode, open, PASSWORD, setServerClock, signIn, signOut, takeRevealedKey } from "./helpers";

// Two-factor sign-in as a user meets it: enrolment on the Account page with
// the QR code's secret, then sign-in with a code from the app, a replayed
// code refused, and a recovery code. Codes are made here from the secret.

test("enrol, then sign in with a code and with a recovery code; a replayed code is refused", async ({ page }) => {
  const email = `two-factor-${Date.now()}@acme.test`;
  execFileSync("../target/release/leadline", ["user", "create", "--email", email, "--password-stdin"], {
    input: PASSWORD,
    env: {
      ...process.env,
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? "sqlite://../target/e2e/leadline.db",
      LEADLINE_LOG: "warn",
    },
  });
  const signInWithPassword = async () => {
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
  };

  await signInWithPassword();
  await page.waitForURL("**/leads");
  await open(page, "/account");
  const section = page.getByRole("region", { name: "Two-factor authentication" });
  await section.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await expect(section.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  const secret = (await section.locator("code.secret-key").textContent())!.trim();
  await section.getByLabel("Code from your app").fill("000000");
  await section.getByRole("button", { name: "Turn on" }).click();
  await expect(section.getByText(/not the code the app shows now/)).toBeVisible();
  await section.getByLabel("Code from your app").fill(await freshCode(secret));
  await section.getByRole("button", { name: "Turn on" }).click();
  const codes = await page.getByRole("list", { name: "Recovery codes" }).locator("li").allTextContents();
  expect(codes).toHaveLength(10);
  await expect(section).toContainText("On since");

  // A code after the password.
  await signOut(page);
  await signInWithPassword();
  await page.waitForURL("**/sign-in/code");
  await expect(page.getByRole("heading", { name: "Two-factor sign-in" })).toBeVisible();
  const code = await freshCode(secret);
  await page.getByLabel("Authentication code").fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL("**/leads");

  // The same code again: refused. A recovery code works instead.
  await signOut(page);
  await signInWithPassword();
  await page.waitForURL("**/sign-in/code");
  await page.getByLabel("Authentication code").fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("alert")).toContainText("That code is not valid");
  await page.getByLabel("Authentication code").fill(codes[0].trim());
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL("**/leads");
  await open(page, "/account");
  await expect(page.getByRole("region", { name: "Two-factor authentication" })).toContainText("9 of 10 recovery codes unused");
});

test("creating a key 15 minutes after signing in asks for the password again", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  try {
    await setServerClock(20 * 60);
    await open(page, "/developer");
    await page.getByRole("button", { name: "New key" }).first().click();
    let form = page.getByRole("dialog", { name: "New key" });
    await form.getByLabel("Key name").fill("Step-up");
    await form.getByRole("button", { name: "Create key" }).click();
    form = page.getByRole("dialog", { name: "New key" });
    await expect(form.getByText(/Confirm it's you/)).toBeVisible();
    await expect(form.getByLabel("Key name")).toHaveValue("Step-up");
    await form.getByLabel("Password or authentication code").fill(PASSWORD);
    await form.getByRole("button", { name: "Create key" }).click();
    const key = await takeRevealedKey(page);
    expect(key).toMatch(/^sk_/);
  } finally {
    await setServerClock(0);
  }
});
