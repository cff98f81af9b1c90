import { expect, test } from "@playwright/test";
import { createKey, open, setServerClock, signIn, takeRevealedKey } from "./helpers";

// Roll with a grace period, the key policy, expiry warnings, IP allowlists
// and leak reports, as a user meets them on the Developer page.

function daysFromNow(days: number) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

const bearer = (key: string) => ({ headers: { Authorization: `Bearer ${key}` } });

test("roll a key with a grace period: both work, then the old one retires", async ({ page, request }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const old = await createKey(page, "Zapier, roll me");
  const oldRow = page.locator(`tr[data-prefix="${old.slice(0, 14)}"]`);

  await oldRow.getByRole("button", { name: "Roll key" }).click();
  const dialog = page.getByRole("dialog", { name: "Roll key" });
  await dialog.getByLabel("1 hour").check();
  await dialog.getByRole("button", { name: "Roll key" }).click();
  const fresh = await takeRevealedKey(page);
  expect(fresh).not.toBe(old);

  const freshRow = page.locator(`tr[data-prefix="${fresh.slice(0, 14)}"]`);
  await expect(freshRow).toContainText("Zapier, roll me");
  await expect(freshRow).toContainText(`Rolled from ${old.slice(0, 14)}`);
  await expect(oldRow).toContainText("Retiring");
  await expect(oldRow).toContainText(/Retires in \d+ min/);
  expect((await request.get("/api/v1/leads", bearer(old))).status()).toBe(200);
  expect((await request.get("/api/v1/leads", bearer(fresh))).status()).toBe(200);

  try {
    await setServerClock(61 * 60);
    const refused = await request.get("/api/v1/leads", bearer(old));
    expect(refused.status()).toBe(401);
    expect((await refused.json()).code).toBe("key_revoked");
    expect((await request.get("/api/v1/leads", bearer(fresh))).status()).toBe(200);
    await open(page, "/developer");
    await expect(oldRow).toContainText("Revoked");
    await expect(oldRow).toContainText("Replaced by a roll");
  } finally {
    await setServerClock(0);
  }
});

test("a scheduled revocation can be cancelled", async ({ page, request }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const old = await createKey(page, "CI, keep me");
  const row = page.locator(`tr[data-prefix="${old.slice(0, 14)}"]`);
  await row.getByRole("button", { name: "Roll key" }).click();
  await page.getByRole("dialog", { name: "Roll key" }).getByLabel("24 hours").check();
  await page.getByRole("dialog", { name: "Roll key" }).getByRole("button", { name: "Roll key" }).click();
  await takeRevealedKey(page);
  await expect(row).toContainText(/Retires in 2[34] h/);
  await row.getByRole("button", { name: "Cancel revocation" }).click();
  await expect(row).toContainText("Active");
  await expect(row).not.toContainText("Retires in");
  try {
    await setServerClock(25 * 3600);
    expect((await request.get("/api/v1/leads", bearer(old))).status()).toBe(200);
  } finally {
    await setServerClock(0);
  }
});

test("an org admin's key policy pre-fills and enforces the expiry", async ({ page }) => {
  await signIn(page, "admin@leadline.test");
  await open(page, "/developer");
  await expect(page.getByText("Key policy: No rules")).toBeVisible();
  try {
    await page.getByRole("button", { name: "Change key policy" }).click();
    const policy = page.getByRole("dialog", { name: "Key policy" });
    await policy.getByLabel("Maximum lifetime (days)").fill("0");
    await policy.getByRole("button", { name: "Save" }).click();
    await expect(policy.getByText(/whole number of days from 1 to 3650/)).toBeVisible();
    await policy.getByLabel("Maximum lifetime (days)").fill("30");
    await policy.getByRole("button", { name: "Save" }).click();
    await expect(policy).toBeHidden();
    await expect(page.getByText("Key policy: New keys must expire within 30 days.")).toBeVisible();

    await page.getByRole("button", { name: "New key" }).first().click();
    const form = page.getByRole("dialog", { name: "New key" });
    await expect(form.getByLabel("Expiry")).not.toHaveValue("");
    const prefilled = await form.getByLabel("Expiry").inputValue();
    expect(prefilled >= daysFromNow(29) && prefilled <= daysFromNow(31)).toBeTruthy();
    await form.getByLabel("Key name").fill("Too long-lived");
    await form.getByLabel("Expiry").fill(daysFromNow(60));
    await form.getByRole("button", { name: "Create key" }).click();
    await expect(form.getByText(/allows keys to last at most 30 days/)).toBeVisible();
    await form.getByLabel("Expiry").fill(prefilled);
    await form.getByRole("button", { name: "Create key" }).click();
    await takeRevealedKey(page);
  } finally {
    await page.getByRole("button", { name: "Change key policy" }).click();
    const policy = page.getByRole("dialog", { name: "Key policy" });
    await policy.getByLabel("Maximum lifetime (days)").fill("");
    await policy.getByLabel("Expiry required").uncheck();
    await policy.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Key policy: No rules")).toBeVisible();
  }
});

test("keys expiring within a week are flagged, counted and announced by the API", async ({ page, request }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const key = await createKey(page, "Expiring soon", daysFromNow(3));
  const row = page.locator(`tr[data-prefix="${key.slice(0, 14)}"]`);
  await expect(row).toContainText(/Expires in \d+ days/);
  await expect(page.getByRole("status").filter({ hasText: /expiring within 7 days/ })).toBeVisible();
  const ok = await request.get("/api/v1/leads", bearer(key));
  expect(ok.status()).toBe(200);
  expect(ok.headers()["leadline-key-expires"]).toMatch(/^\d{4}-\d\d-\d\dT23:59:59Z$/);
  try {
    await setServerClock(5 * 86_400);
    // Five days on, the session has idled out: sign in again.
    await signIn(page, "dev@acme.test");
    await open(page, "/developer");
    await expect(row).toContainText("Expired");
    await expect(row).not.toContainText("Revoked");
    const refused = await request.get("/api/v1/leads", bearer(key));
    expect((await refused.json()).code).toBe("key_expired");
  } finally {
    await setServerClock(0);
  }
  // Tidy: the banner is about this key only.
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete key" }).getByRole("button", { name: "Delete" }).click();
  await expect(row).toBeHidden();
});

test("an IP allowlist refuses other addresses with a 403", async ({ page, request }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const key = await createKey(page, "Office only");
  const row = page.locator(`tr[data-prefix="${key.slice(0, 14)}"]`);
  await row.click();
  const edit = page.getByRole("dialog", { name: "Edit key" });
  await edit.getByLabel("IP allowlist").fill("203.0.113.5/24");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit.getByText("did you mean 203.0.113.0/24?")).toBeVisible();
  await edit.getByLabel("IP allowlist").fill("203.0.113.0/24\n2001:db8::/32");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden();
  await expect(row).toContainText("IP allowlist: 2 entries");

  const refused = await request.get("/api/v1/leads", bearer(key));
  expect(refused.status()).toBe(403);
  const problem = await refused.json();
  expect(problem.code).toBe("ip_not_allowed");
  expect(problem.key_prefix).toBe(key.slice(0, 14));
  expect(problem.detail).toContain("127.0.0.1");
});

test("a leaked key reported by anyone is revoked and flagged on the Developer page", async ({ page, request }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const key = await createKey(page, "Pasted in a gist");
  const row = page.locator(`tr[data-prefix="${key.slice(0, 14)}"]`);

  // Reported with no credentials, among junk: the answer tells nothing.
  const junk = await request.post("/api/v1/leaked-keys", { data: { keys: ["hello"] } });
  const report = await request.post("/api/v1/leaked-keys", { data: { keys: ["hello", key] } });
  expect([junk.status(), report.status()]).toEqual([202, 202]);
  expect(await report.text()).toBe(await junk.text());

  const refused = await request.get("/api/v1/leads", bearer(key));
  expect((await refused.json()).code).toBe("key_revoked");
  await open(page, "/developer");
  await expect(page.getByRole("alert").filter({ hasText: "reported as leaked and revoked" })).toBeVisible();
  await expect(row).toContainText("Revoked");
  await expect(row).toContainText("Reported as leaked");

  // Deleting the key clears the banner.
  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete key" }).getByRole("button", { name: "Delete" }).click();
  await expect(row).toBeHidden();
  await open(page, "/developer");
  await expect(page.getByText("reported as leaked and revoked")).toBeHidden();
});
