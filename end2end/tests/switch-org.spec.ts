import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { open, signIn } from "./helpers";

// The operator CLI works while the server runs, on the same database.
function leadline(...args: string[]): string {
  return execFileSync("../target/debug/leadline", args, {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL ?? "sqlite://../target/e2e/leadline.db", LEADLINE_LOG: "warn" },
  }).toString();
}

test("a member of two organisations switches between them", async ({ page }) => {
  const slug = leadline("org", "create", "--name", "Initech").trim();
  expect(slug).toBe("initech");
  leadline("org", "add-member", "--org", slug, "--email", "dev@acme.test", "--developer");

  await signIn(page, "dev@acme.test");
  const picker = page.getByLabel("Organisation");
  await expect(picker).toHaveValue("acme");
  await picker.selectOption("initech");
  await page.waitForSelector("body[data-hydrated]");
  await expect(page.getByLabel("Organisation")).toHaveValue("initech");
  // Initech has no leads and its Developer API flag is off.
  await expect(page.getByText("No leads yet")).toBeVisible();
  await open(page, "/developer");
  await expect(page.getByText("The Developer API feature flag is not enabled for Initech")).toBeVisible();

  // Switching reloads the dashboard at /leads once the server has switched.
  await page.getByLabel("Organisation").selectOption("acme");
  await page.waitForURL("**/leads");
  await page.waitForSelector("body[data-hydrated]");
  await open(page, "/developer");
  await expect(page.getByRole("button", { name: "New key" }).first()).toBeVisible();
});
