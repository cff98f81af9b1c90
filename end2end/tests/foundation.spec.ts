import { expect, test } from "@playwright/test";
import { open, PASSWORD, signIn, signOut } from "./helpers";

test("a member without Developer finds no way in until an admin grants it and the flag is on", async ({ page }) => {
  // The platform admin creates an organisation (flag off) and a member in it.
  await signIn(page, "admin@leadline.test");
  await open(page, "/admin");
  await page.getByLabel("New organisation").fill("Globex");
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.locator('tr[data-org="globex"]')).toBeVisible();

  // Acme's admin (the platform admin is also Acme's admin) invites a member
  // without Developer. The link is shown once; sam chooses their own password.
  await open(page, "/members");
  await page.getByLabel("Email").fill("sam@acme.test");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Invitation link" });
  const link = await dialog.getByLabel("Invitation link").inputValue();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/invite\/[0-9a-f]{64}$/);
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.locator('tr[data-invitation="sam@acme.test"]')).toContainText("member");
  await signOut(page);

  await page.goto(link);
  await page.waitForSelector("body[data-hydrated]");
  await expect(page.getByRole("heading", { name: "Join Acme" })).toBeVisible();
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Accept invitation" }).click();
  // Signed out, the error comes back as a code shown in the site's own words.
  await expect(page.getByText("Use 10 to 128 characters that are not easy to guess", { exact: false })).toBeVisible();
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.waitForURL("**/leads");
  await page.waitForSelector("body[data-hydrated]");
  await expect(page.getByTestId("active-org")).toHaveText("Acme");
  // The link worked once.
  await signOut(page);
  await page.goto(link);
  await expect(page.getByText("This invitation link is not valid")).toBeVisible();

  await signIn(page, "sam@acme.test");
  await open(page, "/developer");
  await expect(page.getByText("You need the Developer permission in Acme")).toBeVisible();
  await expect(page.getByRole("button", { name: "New key" })).toHaveCount(0);
  await signOut(page);

  // The org admin grants Developer.
  await signIn(page, "admin@leadline.test");
  await open(page, "/members");
  await page.getByLabel("Developer for sam@acme.test").check();
  await expect(page.getByLabel("Developer for sam@acme.test")).toBeChecked();
  // The platform admin turns Acme's flag off, then on again.
  await open(page, "/admin");
  await page.getByLabel("Developer API for Acme").uncheck();
  await expect(page.locator('tr[data-org="acme"]')).toContainText("Off");
  await signOut(page);

  await signIn(page, "sam@acme.test");
  await open(page, "/developer");
  await expect(page.getByText("The Developer API feature flag is not enabled for Acme")).toBeVisible();
  await signOut(page);

  await signIn(page, "admin@leadline.test");
  await open(page, "/admin");
  await page.getByLabel("Developer API for Acme").check();
  await expect(page.locator('tr[data-org="acme"]')).toContainText("On");
  await signOut(page);

  await signIn(page, "sam@acme.test");
  await open(page, "/developer");
  await expect(page.getByRole("button", { name: "New key" }).first()).toBeVisible();
});

test("leads: create, edit, delete with field errors", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await expect(page.getByRole("heading", { name: "Leads" })).toBeVisible();
  await expect(page.getByText("Ada Lovelace")).toBeVisible();

  await page.getByRole("button", { name: "New lead" }).click();
  const form = page.getByRole("dialog", { name: "New lead" });
  await form.getByLabel("Name").fill("Mary Jackson");
  await form.getByLabel("Email").fill("not-an-email");
  await form.getByRole("button", { name: "Save lead" }).click();
  await expect(form.getByText("Enter a valid email address")).toBeVisible();
  await form.getByLabel("Email").fill("mary@langley.example");
  await form.getByLabel("Company").fill("Langley");
  await form.getByRole("button", { name: "Save lead" }).click();
  await expect(form).toBeHidden();
  const row = page.locator("tr", { hasText: "Mary Jackson" });
  await expect(row).toContainText("Langley");

  await row.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: "Edit lead" });
  await edit.getByLabel("Status").selectOption("won");
  await edit.getByRole("button", { name: "Save lead" }).click();
  await expect(row).toContainText("Won");

  await row.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete lead" }).getByRole("button", { name: "Delete" }).click();
  await expect(page.locator("tr", { hasText: "Mary Jackson" })).toHaveCount(0);
});

test("wrong credentials get one generic message", async ({ page }) => {
  await open(page, "/sign-in");
  await page.getByLabel("Email").fill("dev@acme.test");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
});
