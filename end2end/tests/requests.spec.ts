import { expect, test } from "@playwright/test";
import { createKey, open, signIn } from "./helpers";

// From an error to the request that caused it: a failing call's Request-Id,
// pasted into the Requests page's search box, opens that request with its
// error code and the code's documentation.

test("a failing call's request id, pasted into Requests, shows the request and its error", async ({ page, request }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const key = await createKey(page, "Request log reader");
  const failed = await request.get("/api/v1/leads/999999", {
    headers: { Authorization: `Bearer ${key}`, "User-Agent": "curl/8.5.0" },
  });
  expect(failed.status()).toBe(404);
  const id = failed.headers()["request-id"];
  expect(id).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
  expect((await failed.json()).request_id).toBe(id);

  await open(page, "/developer");
  await page.getByRole("link", { name: "Requests", exact: true }).click();
  await page.waitForURL("**/developer/requests");
  await expect(page.getByRole("heading", { name: "Requests", exact: true })).toBeVisible();

  // The log is written every few seconds: search until it is there.
  await expect(async () => {
    await page.getByLabel("Request id").fill(id);
    await page.getByRole("button", { name: "Find request" }).click();
    await page.waitForURL(/[?&]id=req_/);
    await expect(page.getByRole("heading", { name: "GET /api/v1/leads/999999" })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });

  const detail = page.locator("section.request-detail");
  await expect(detail).toContainText(id);
  await expect(detail).toContainText("404");
  await expect(detail).toContainText("/api/v1/leads/{id}");
  await expect(detail).toContainText("curl/8.5.0");
  const docs = detail.getByRole("link", { name: "not_found" });
  await expect(docs).toHaveAttribute("href", "/docs/errors#not_found");
  // Copy as curl: the key is never in it.
  const curl = detail.getByLabel("The request as a curl command");
  await expect(curl).toHaveValue(/\$LEADLINE_KEY/);
  await expect(curl).not.toHaveValue(new RegExp(key.slice(14)));

  // From the key's usage chart: the bar's part for that hour and outcome
  // opens the same request.
  await open(page, "/developer");
  await page.getByRole("link", { name: "Usage of Request log reader" }).click();
  await page.waitForURL(/\/developer\/keys\/\d+$/);
  const hours = page.getByRole("group", { name: /Requests in the last 24 hours/ });
  await hours.getByRole("link", { name: /1 client error, show these requests/ }).click();
  await page.waitForURL(/\/developer\/requests\?key=sk_.*outcome=client_error/);

  // The row is in the list, with its code, and the code's documentation.
  const row = page.locator("table.requests tbody tr", { hasText: id });
  await expect(row).toContainText("not_found");
  await row.getByRole("link", { name: "not_found" }).click();
  await page.waitForURL("**/docs/errors#not_found");
  await expect(page.locator("#not_found")).toBeVisible();
});
