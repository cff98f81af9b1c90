import { Browser, expect, Page, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { open, signIn, signOut } from "./helpers";

// Access can be given by invitation only, and taken away: sessions ended by
// their owner, a password change, and removal by an org admin (with the
// member's keys revoked).

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: "http://127.0.0.1:3000" });
  return context.newPage();
}

function leadsStatus(key: string): string {
  return execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `Authorization: Bearer ${key}`, "http://127.0.0.1:3000/api/v1/leads"]).toString();
}

test("invite, end another session, change password, then remove the member and their keys", async ({ page, browser }) => {
  // Acme's admin invites Rita as a Developer.
  await signIn(page, "admin@leadline.test");
  await open(page, "/members");
  await page.getByLabel("Email").fill("rita@acme.test");
  await page.getByLabel("Developer", { exact: true }).check();
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Invitation link" });
  const link = await dialog.getByLabel("Invitation link").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();

  // Rita accepts on her laptop with her own password, and creates a key.
  const laptop = await newPage(browser);
  await laptop.goto(link);
  await laptop.waitForSelector("body[data-hydrated]");
  await laptop.getByLabel("Password").fill("rita's own password");
  await laptop.getByRole("button", { name: "Accept invitation" }).click();
  await laptop.waitForURL("**/leads");
  await open(laptop, "/developer");
  await laptop.getByRole("button", { name: "New key" }).first().click();
  const form = laptop.getByRole("dialog", { name: "New key" });
  await form.getByLabel("Key name").fill("Rita's sync");
  await form.getByLabel("read", { exact: true }).check();
  await form.getByRole("button", { name: "Create key" }).click();
  const reveal = laptop.getByRole("dialog", { name: "Your new API key" });
  await reveal.getByRole("button", { name: "Reveal key" }).click();
  const key = await reveal.getByLabel("API key").inputValue();
  await reveal.getByRole("button", { name: "Done" }).click();
  expect(leadsStatus(key)).toBe("200");

  // She signs in on her phone too, then ends that session from the laptop.
  const phone = await newPage(browser);
  await signIn(phone, "rita@acme.test", "rita's own password");
  await open(laptop, "/account");
  const rows = laptop.locator("tr[data-session]");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "This session" })).toHaveCount(1);
  await rows.filter({ hasNotText: "This session" }).getByRole("button", { name: "End session" }).click();
  await expect(rows).toHaveCount(1);
  await open(phone, "/leads");
  await expect(phone.getByRole("heading", { name: "Please sign in" })).toBeVisible();

  // A password change needs the current one, and ends her other sessions.
  await signIn(phone, "rita@acme.test", "rita's own password");
  await laptop.getByLabel("Current password").fill("not my password");
  await laptop.getByLabel("New password", { exact: true }).fill("rita's newer password");
  await laptop.getByRole("button", { name: "Change password" }).click();
  await expect(laptop.getByText("That is not your current password.")).toBeVisible();
  // A plain form post: the page comes back with the error and, as for any
  // password, empty fields.
  await laptop.getByLabel("Current password").fill("rita's own password");
  await laptop.getByLabel("New password", { exact: true }).fill("rita's newer password");
  await laptop.getByRole("button", { name: "Change password" }).click();
  await expect(laptop.getByText("Password changed. Your other sessions have ended.")).toBeVisible();
  await open(phone, "/leads");
  await expect(phone.getByRole("heading", { name: "Please sign in" })).toBeVisible();
  await signIn(phone, "rita@acme.test", "rita's newer password");

  // The admin removes Rita; the removal offers her key, ticked.
  await open(page, "/members");
  await page.getByRole("button", { name: "Remove rita@acme.test" }).click();
  const remove = page.getByRole("dialog", { name: "Remove member" });
  await expect(remove).toContainText("Rita's sync");
  await expect(remove.getByLabel("Revoke these keys")).toBeChecked();
  await remove.getByRole("button", { name: "Remove member" }).click();
  await expect(page.locator('tr[data-email="rita@acme.test"]')).toHaveCount(0);

  // Her very next request no longer reaches Acme, and her key is refused.
  await open(phone, "/leads");
  await expect(phone.getByText("You are not a member of any organisation yet")).toBeVisible();
  expect(leadsStatus(key)).toBe("401");

  // The audit log has it all.
  await open(page, "/audit");
  const actions = page.locator('td[data-label="Action"] code');
  await expect(actions.filter({ hasText: "member.removed" }).first()).toBeVisible();
  await expect(actions.filter({ hasText: "member.joined" }).first()).toBeVisible();
  await signOut(page);
});

test("the last admin cannot be removed", async ({ page }) => {
  await signIn(page, "admin@leadline.test");
  await open(page, "/members");
  await page.getByRole("button", { name: "Remove admin@leadline.test" }).click();
  const remove = page.getByRole("dialog", { name: "Remove member" });
  await remove.getByRole("button", { name: "Remove member" }).click();
  await expect(remove.getByRole("alert")).toContainText("at least one admin");
});
