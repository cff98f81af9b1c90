import { expect, test } from "@playwright/test";
import { PASSWORD } from "./helpers";

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
  await page.waitForURL("**/developer?dialog=reveal");

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
  await page.waitForURL(/\/leads$/);
  await expect(page.locator("tr", { hasText: "Mae Jemison" })).toContainText("Won");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/sign-in");
  await page.goto("/leads");
  await expect(page.getByRole("heading", { name: "Please sign in" })).toBeVisible();
});
