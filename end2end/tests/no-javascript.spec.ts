import { expect, test } from "@playwright/test";
import { createKey, PASSWORD } from "./helpers";

// Before the wasm has loaded (a slow phone) or with JavaScript off, the main
// forms are plain HTML forms that post and redirect.
test.use({ javaScriptEnabled: false });

test("sign in, create a key, add and edit a lead, sign out: all without JavaScript", async ({ page, request }) => {
  // A wrong password comes back to the form with the one generic message.
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("dev@acme.test");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  expect(page.url()).not.toContain("not-the-password");

  await page.getByLabel("Email").fill("dev@acme.test");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/leads");
  await expect(page.getByRole("heading", { name: "Leads" })).toBeVisible();
  await expect(page.getByText("Ada Lovelace")).toBeVisible();

  // New key, Create key: a bad name first, then a real key.
  await page.goto("/developer");
  await page.getByRole("button", { name: "New key" }).first().click();
  await page.waitForURL("**/developer?dialog=new-key");
  let form = page.getByRole("dialog", { name: "New key" });
  await form.getByRole("button", { name: "Create key" }).click();
  form = page.getByRole("dialog", { name: "New key" });
  await expect(form.getByText("Key name is required.")).toBeVisible();

  await form.getByLabel("Key name").fill("No-JS import");
  await form.getByLabel("read", { exact: true }).check();
  await form.getByRole("button", { name: "Create key" }).click();
  await page.waitForURL(/\/developer\?flash=[0-9a-f]{32}$/);

  // Shown once, masked, with a way to reveal it.
  const reveal = page.getByRole("dialog", { name: "Your new API key" });
  await expect(reveal.getByLabel("API key")).toHaveAttribute("type", "password");
  await reveal.getByText("Reveal key", { exact: true }).click();
  const key = (await reveal.locator(".reveal-plain code").innerText()).trim();
  expect(key).toMatch(/^sk_[0-9A-Za-z]{8}_[0-9A-Za-z]{32}$/);
  const listed = await request.get("/api/v1/leads", { headers: { Authorization: `Bearer ${key}` } });
  expect(listed.status()).toBe(200);

  // Once: the same page again no longer has it.
  await page.reload();
  expect(await page.content()).not.toContain(key);
  await expect(page.locator(`tr[data-prefix="${key.slice(0, 14)}"]`)).toContainText("No-JS import");

  // New lead, then edit it.
  await page.goto("/leads");
  await page.getByRole("button", { name: "New lead" }).click();
  const leadForm = page.getByRole("dialog", { name: "New lead" });
  await leadForm.getByLabel("Name").fill("Mae Jemison");
  await leadForm.getByLabel("Company").fill("Endeavour");
  await leadForm.getByRole("button", { name: "Save lead" }).click();
  await page.waitForURL(/\/leads$/);
  const row = page.locator("tr", { hasText: "Mae Jemison" });
  await expect(row).toContainText("Endeavour");

  await row.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: "Edit lead" });
  await expect(edit.getByLabel("Name")).toHaveValue("Mae Jemison");
  await edit.getByLabel("Status").selectOption("won");
  await edit.getByRole("button", { name: "Save lead" }).click();
  // Back to the list as it was (its search, here empty).
  await page.waitForURL(/\/leads(\?q=)?$/);
  await expect(page.locator("tr", { hasText: "Mae Jemison" })).toContainText("Won");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/sign-in");
  await page.goto("/leads");
  await expect(page.getByRole("heading", { name: "Please sign in" })).toBeVisible();
});

test("a key is edited, rolled, revoked and deleted without JavaScript", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("dev@acme.test");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/leads");

  await page.goto("/developer");
  const key = await createKey(page, "No-JS lifecycle");
  await page.waitForURL(/\/developer\??$/);
  const row = page.locator(`tr[data-prefix="${key.slice(0, 14)}"]`);

  // Edit: a bad allowlist comes back with the error and what was typed.
  await row.getByRole("link", { name: "Edit key No-JS lifecycle" }).click();
  let edit = page.getByRole("dialog", { name: "Edit key" });
  await edit.getByLabel("Key name").fill("No-JS nightly");
  await edit.getByLabel("IP allowlist").fill("203.0.113.5/24");
  await edit.getByRole("button", { name: "Save" }).click();
  edit = page.getByRole("dialog", { name: "Edit key" });
  await expect(edit.getByText("did you mean 203.0.113.0/24?")).toBeVisible();
  await expect(edit.getByLabel("Key name")).toHaveValue("No-JS nightly");
  await edit.getByLabel("IP allowlist").fill("");
  await edit.getByLabel("create", { exact: true }).check();
  await edit.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/developer$/);
  await expect(row).toContainText("No-JS nightly");
  await expect(row).toContainText("Leads: read, create");

  // Roll with a grace period, then keep the old key after all.
  await row.getByRole("button", { name: "Roll key" }).click();
  const roll = page.getByRole("dialog", { name: "Roll key" });
  await roll.getByLabel("7 days").check();
  await roll.getByRole("button", { name: "Roll key" }).click();
  await page.waitForURL(/\/developer\?flash=[0-9a-f]{32}$/);
  const reveal = page.getByRole("dialog", { name: "Your new API key" });
  await expect(reveal.getByLabel("API key")).toHaveAttribute("type", "password");
  await reveal.getByRole("button", { name: "Done" }).click();
  await expect(row).toContainText(/Retires in [67] days/);
  await row.getByRole("button", { name: "Cancel revocation" }).click();
  await expect(row).toContainText("Active");

  // The filter has an Apply button when nothing submits it on change.
  await page.getByLabel("Only keys unused for 90 days").check();
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL("**/developer?unused=1");
  await expect(page.getByText("No working key has gone unused for 90 days.")).toBeVisible();
  await page.goto("/developer");

  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog", { name: "Revoke key" }).getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("Revoked");
  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete key" }).getByRole("button", { name: "Delete" }).click();
  await page.waitForURL(/\/developer$/);
  await expect(row).toHaveCount(0);
});
