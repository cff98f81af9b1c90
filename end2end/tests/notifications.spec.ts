import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { createKey, open, signIn } from "./helpers";

// Mail about keys, as a user meets it: the server sends it through a real
// SMTP server (aiosmtpd, started by playwright.config.ts), and the link in
// the expiry mail opens the key's Roll dialog, filled in for that key.

type Mail = { to: string; subject: string; text: string; html: string };

/** The mail the SMTP server has received, decoded by Python's mail parser. */
function received(): Mail[] {
  const out = execFileSync("../.tools/test/bin/python", ["../scripts/test-tools/maildir.py", "../target/e2e-mail"]);
  return JSON.parse(out.toString());
}

async function mailAbout(words: string): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(() => (found = received().find((m) => m.subject.includes(words))), { timeout: 15_000 })
    .toBeTruthy();
  return found!;
}

function daysFromNow(days: number) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

test("the expiry mail's Roll link opens the key's Roll dialog, filled in", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const key = await createKey(page, "Expiring Zapier sync", daysFromNow(3));

  const mail = await mailAbout("Expiring Zapier sync");
  const notice = await mailAbout(`"Expiring Zapier sync" (${key.slice(0, 14)}…) expires in`);
  expect(notice.to).toBe("dev@acme.test");
  expect(mail.text + notice.text + notice.html).not.toContain(key);
  const link = notice.text.match(/http:\/\/127\.0\.0\.1:3000\/developer\?org=acme&dialog=roll&id=\d+/)?.[0];
  expect(link, notice.text).toBeTruthy();

  await open(page, link!);
  const dialog = page.getByRole("dialog", { name: "Roll key" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Expiring Zapier sync");
  await expect(dialog).toContainText(key.slice(0, 14));
  await dialog.getByLabel("24 hours").check();
  await dialog.getByRole("button", { name: "Roll key" }).click();
  await expect(page.getByRole("dialog", { name: "Your new API key" })).toBeVisible();
});

test("each person chooses their mail on Account → Notifications", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/account");
  await page.getByRole("link", { name: "Choose your mail" }).click();
  await expect(page.getByRole("heading", { name: "Notifications" })).toBeVisible();
  const created = page.getByLabel("A key was created");
  const leaked = page.getByLabel("A key was reported as leaked and revoked");
  await expect(leaked).toBeChecked();
  await expect(leaked).toBeDisabled();
  await created.uncheck();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("Saved.");
  await expect(page.getByLabel("A key was created")).not.toBeChecked();
  const before = received().filter((m) => m.subject.includes("Quiet key")).length;
  await open(page, "/developer");
  await createKey(page, "Quiet key");
  // A round later, still nothing about it.
  await page.waitForTimeout(2500);
  expect(received().filter((m) => m.subject.includes("Quiet key")).length).toBe(before);
  await open(page, "/account/notifications");
  await page.getByLabel("A key was created").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByLabel("A key was created")).toBeChecked();
});
