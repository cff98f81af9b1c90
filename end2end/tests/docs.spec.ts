import { expect, test } from "@playwright/test";
import { open, signIn } from "./helpers";

test("Generate test token makes a 1-hour playground key that calls the real API until revoked", async ({ page, context }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/docs/list-leads");
  await expect(page.getByRole("heading", { name: "List leads" })).toBeVisible();
  await expect(page.getByText("leads:read", { exact: true })).toBeVisible();

  await page.getByRole("button", { name: "Generate test token" }).click();
  const auth = page.getByLabel("Authorization");
  await expect(auth).toHaveValue(/^Bearer sk_[0-9A-Za-z]{8}_[0-9A-Za-z]{32}$/);
  await expect(auth).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Reveal key" }).click();
  await expect(auth).toHaveAttribute("type", "text");
  const prefix = (await auth.inputValue()).slice("Bearer ".length, "Bearer ".length + 14);

  await page.getByRole("button", { name: "Send request" }).click();
  await expect(page.getByTestId("response-status")).toHaveText("200");
  await expect(page.getByTestId("response-body")).toContainText("Ada Lovelace");

  // The key is in the Developer list, marked as a playground key, expiring in about an hour.
  const other = await context.newPage();
  await open(other, "/developer");
  const row = other.locator(`tr[data-prefix="${prefix}"]`);
  await expect(row).toContainText("Docs playground (temp)");
  await expect(row).toContainText("Playground");
  await expect(row).toContainText("Leads: read, create, update, delete");
  // The cell's first line is the time; below it, "Expires in 59 min".
  const expiry = (await row.locator('td[data-label="Expiry"]').innerText()).trim().split("\n")[0].trim();
  await expect(row.locator('td[data-label="Expiry"]')).toContainText(/Expires in \d+ min/);
  const minutes = (Date.parse(expiry.replace(" UTC", "Z").replace(" ", "T")) - Date.now()) / 60000;
  expect(minutes).toBeGreaterThan(55);
  expect(minutes).toBeLessThanOrEqual(60);

  // Revoke it early: the playground's next request gets a 401.
  await row.getByRole("button", { name: "Revoke" }).click();
  await other.getByRole("dialog", { name: "Revoke key" }).getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("Revoked");
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(page.getByTestId("response-status")).toHaveText("401");
  await expect(page.getByTestId("response-body")).toContainText("key_revoked");

  // The problem's type is this server's own entry for the code.
  const problem = JSON.parse(await page.getByTestId("response-body").innerText());
  expect(problem.type).toBe("/docs/errors#key_revoked");
  await open(page, problem.type);
  await expect(page.locator("#key_revoked")).toContainText("The key has been revoked.");
});

test("the list's query parameters read as optional query parameters, and error codes link to their entries", async ({ page }) => {
  await open(page, "/docs/list-leads");
  const params = page.locator("table").first();
  for (const name of ["limit", "cursor", "status", "updated_since", "q"]) {
    const row = params.locator("tr", { has: page.locator("td:first-child code", { hasText: new RegExp(`^${name}$`) }) });
    await expect(row).toContainText("query");
    await expect(row).not.toContainText("required");
    await expect(row).not.toContainText("path");
  }
  await expect(params.locator("tr", { hasText: /^limit/ })).toContainText("integer");

  await page.getByRole("link", { name: "key_expired" }).click();
  await expect(page).toHaveURL(/\/docs\/errors#key_expired$/);
  await expect(page.getByRole("heading", { name: "Error codes" })).toBeVisible();
  await expect(page.locator("#key_expired")).toBeInViewport();
  await expect(page.locator("#key_expired")).toContainText("Create a new key on the Developer page.");
});

test("the playground creates a lead from the prefilled example", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/docs/create-lead");
  await expect(page.getByLabel("Request body (JSON)")).toHaveValue(/Margaret Hamilton/);
  await page.getByRole("button", { name: "Generate test token" }).click();
  await expect(page.getByLabel("Authorization")).toHaveValue(/^Bearer sk_/);
  await page.getByRole("button", { name: "Send request" }).click();
  await expect(page.getByTestId("response-status")).toHaveText("201");
  await expect(page.getByTestId("response")).toContainText("location");
  await open(page, "/leads");
  await expect(page.getByText("Margaret Hamilton")).toBeVisible();
});

test("a signed-out visitor reads the docs and is asked to sign in to try them", async ({ page }) => {
  await open(page, "/docs");
  await expect(page.getByRole("heading", { name: "API docs" })).toBeVisible();
  await expect(page.getByRole("link", { name: /GET \/api\/v1\/leads List leads/ })).toBeVisible();
  await page.getByRole("link", { name: /POST \/api\/v1\/leads/ }).click();
  await expect(page.getByRole("heading", { name: "Create a lead" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Generate test token" })).toBeDisabled();
  await expect(page.getByText("to generate a test token and send requests")).toBeVisible();
});
