import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { createKey, open, signIn } from "./helpers";

// Usage you can see: requests made with a key, a revoked one included, show
// in its usage page's chart (through the table alternative), its refused
// requests, and the "Still called" badge in the list.

test("requests with a key, revoked included, show in its usage chart and badge", async ({ page, request }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const key = await createKey(page, "Usage watcher");
  const auth = { headers: { Authorization: `Bearer ${key}` } };

  // 3 successes, 1 not found, 1 missing permission.
  for (let i = 0; i < 3; i++) expect((await request.get("/api/v1/leads", auth)).status()).toBe(200);
  expect((await request.get("/api/v1/leads/999999", auth)).status()).toBe(404);
  expect((await request.post("/api/v1/leads", { ...auth, data: { name: "x" } })).status()).toBe(403);

  // Revoke it; something keeps calling.
  const row = page.locator(`tr[data-prefix="${key.slice(0, 14)}"]`);
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog", { name: "Revoke key" }).getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("Revoked");
  for (let i = 0; i < 2; i++) expect((await request.get("/api/v1/leads", auth)).status()).toBe(401);

  await open(page, "/developer");
  await expect(row).toContainText("Still called: 2 requests in 24 h");

  // The usage page: the chart as a table, totals and the refused requests.
  await row.getByRole("link", { name: "Usage of Usage watcher" }).click();
  await page.waitForURL(/\/developer\/keys\/\d+$/);
  await expect(page.getByRole("heading", { name: "Usage of Usage watcher" })).toBeVisible();
  await expect(page.getByRole("group", { name: /Requests in the last 24 hours/ })).toBeVisible();
  const hours = page.locator("section", { hasText: "Last 24 hours" });
  await hours.getByText("Show as a table").click();
  // Summed over the 24 rows (the requests may straddle an hour): success,
  // client error, refused, rate limited, total.
  await expect(hours.locator("tbody tr")).toHaveCount(24);
  const sums = await hours.locator("tbody tr").evaluateAll((rows) =>
    [0, 1, 2, 3, 4].map((i) => rows.reduce((sum, r) => sum + Number(r.querySelectorAll("td")[i].textContent), 0)),
  );
  expect(sums).toEqual([3, 1, 3, 0, 7]);
  const refused = page.locator("section", { hasText: "Last refused requests" });
  await expect(refused.locator("tbody tr")).toHaveCount(3);
  await expect(refused.locator("tbody tr").first()).toContainText("key_revoked");
  await expect(refused.locator("tbody tr").first()).toContainText("GET /api/v1/leads");
  await expect(refused.locator("tbody tr").last()).toContainText("insufficient_permission");
});

test("the audit log downloads as CSV and JSON Lines with its filters", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/audit");
  // The action filter submits itself: the page comes back filtered, at its own address.
  await page.getByLabel("Filter by action").selectOption("key.created");
  await page.waitForURL(/[?&]action=key\.created/);
  await expect(page.getByLabel("Filter by action")).toHaveValue("key.created");
  await expect(page.locator("table.audit tbody tr").first()).toContainText("key.created");
  const csvDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download CSV" }).click();
  const csv = await csvDownload;
  expect(csv.suggestedFilename()).toMatch(/^leadline-audit-acme-\d{4}-\d\d-\d\d\.csv$/);
  const text = readFileSync((await csv.path())!, "utf8");
  const lines = text.trim().split("\r\n");
  expect(lines[0]).toBe("id,occurred_at,actor,action,key_prefix,key_name,details");
  expect(lines.length).toBeGreaterThan(1);
  // Every field is quoted (OWASP's advice for exports that spreadsheets open).
  for (const line of lines.slice(1)) expect(line).toContain(',"key.created",');

  const jsonDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download JSON Lines" }).click();
  const jsonl = await jsonDownload;
  const entries = readFileSync((await jsonl.path())!, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(entries.every((e) => e.action === "key.created")).toBeTruthy();
});
