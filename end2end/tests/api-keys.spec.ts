import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { open, signIn } from "./helpers";

test.use({ permissions: ["clipboard-read", "clipboard-write"] });

test("the docs page's key flow: create, reveal, copy, use, edit, revoke, delete", async ({ page, request }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  await expect(page.getByRole("heading", { name: "Developer" })).toBeVisible();

  // New key (top right) opens the form; permissions start unticked.
  await page.getByRole("button", { name: "New key" }).first().click();
  const form = page.getByRole("dialog", { name: "New key" });
  for (const p of ["read", "create", "update", "delete"]) {
    await expect(form.getByLabel(p, { exact: true })).not.toBeChecked();
  }
  // A validation error shows beside the field and creates nothing.
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(form.getByText("Key name is required.")).toBeVisible();

  await form.getByLabel("Key name").fill("Zapier, leads sync");
  await form.getByLabel("read", { exact: true }).check();
  await form.getByLabel("create", { exact: true }).check();
  await form.getByRole("button", { name: "Create key" }).click();

  // The modal shows the raw key, masked by default.
  const reveal = page.getByRole("dialog", { name: "Your new API key" });
  await expect(reveal).toBeVisible();
  const raw = reveal.getByLabel("API key");
  await expect(raw).toHaveAttribute("type", "password");
  await expect(reveal.getByText("You only see the raw key once")).toBeVisible();
  await reveal.getByRole("button", { name: "Reveal key" }).click();
  await expect(raw).toHaveAttribute("type", "text");
  const key = await raw.inputValue();
  expect(key).toMatch(/^sk_[0-9A-Za-z]{8}_[0-9A-Za-z]{32}$/);
  await reveal.getByRole("button", { name: "Hide key" }).click();
  await expect(raw).toHaveAttribute("type", "password");
  await reveal.getByRole("button", { name: "Copy" }).click();
  await expect(reveal.getByText("Copied to the clipboard.")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
  await reveal.getByRole("button", { name: "Done" }).click();
  await expect(reveal).toBeHidden();
  expect(await page.content()).not.toContain(key);

  // The row shows the name and the 14-character prefix.
  const prefix = key.slice(0, 14);
  const row = page.locator(`tr[data-prefix="${prefix}"]`);
  await expect(row).toContainText("Zapier, leads sync");
  await expect(row).toContainText(prefix);
  await expect(row).toContainText("Leads: read, create");
  await expect(row).toContainText("Active");

  // The filter applies as soon as it is ticked: a new key is not unused.
  await page.getByLabel("Only keys unused for 90 days").check();
  await page.waitForURL("**/developer?unused=1");
  await expect(page.getByText("No working key has gone unused for 90 days.")).toBeVisible();
  await page.getByLabel("Only keys unused for 90 days").uncheck();
  await page.waitForURL(/\/developer\??$/);

  // Using the key, exactly as the docs page shows: curl with a Bearer header.
  const listed = execFileSync("curl", ["-s", "-H", `Authorization: Bearer ${key}`, "http://127.0.0.1:3000/api/v1/leads"]).toString();
  expect(JSON.parse(listed).data.map((l: { name: string }) => l.name)).toContain("Ada Lovelace");

  // Click the row to edit name and permissions; expiry is read-only.
  await row.click();
  const edit = page.getByRole("dialog", { name: "Edit key" });
  await expect(edit.getByText("You can't change the expiry once a key is created.")).toBeVisible();
  await expect(edit.getByLabel("Expiry")).toHaveAttribute("readonly", "");
  await edit.getByLabel("Key name").fill("Zapier, nightly sync");
  await edit.getByLabel("create", { exact: true }).uncheck();
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden();
  await expect(row).toContainText("Zapier, nightly sync");
  await expect(row).toContainText("Leads: read");
  const denied = await request.post("/api/v1/leads", { headers: { Authorization: `Bearer ${key}` }, data: { name: "New" } });
  expect(denied.status()).toBe(403);

  // Revoke: the key stays listed as Revoked, and its requests get a 401.
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog", { name: "Revoke key" }).getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("Revoked");
  const revoked = await request.get("/api/v1/leads", { headers: { Authorization: `Bearer ${key}` } });
  expect(revoked.status()).toBe(401);
  expect((await revoked.json()).key_prefix).toBe(prefix);

  // Delete, after a confirmation that names the key.
  await row.getByRole("button", { name: "Delete" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete key" });
  await expect(confirm).toContainText("Zapier, nightly sync");
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(row).toHaveCount(0);

  // Audit entries remain after delete.
  await open(page, "/audit");
  const entries = page.locator("table.audit tbody tr");
  await expect(entries.first()).toContainText("key.deleted");
  await expect(entries.first()).toContainText(prefix);
  await expect(page.locator("table.audit")).toContainText("key.created");
});
