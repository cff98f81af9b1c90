import { readFileSync } from "node:fs";
import { expect, Page, test } from "@playwright/test";
import { createKey, open, signIn, takeRevealedKey } from "../tests/helpers";

// Behind nginx, round robin, no sticky sessions: the post and the page its
// redirect shows are served by different instances, so whatever the page
// shows came through the database.
test.use({ permissions: ["clipboard-read", "clipboard-write"] });

async function leadsStatus(page: Page, key: string) {
  const response = await page.request.get("/api/v1/leads", { headers: { Authorization: `Bearer ${key}` } });
  return response.status();
}

test("a new key is revealed every time, eight times over", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const keys = new Set<string>();
  for (let n = 1; n <= 8; n++) {
    const key = await createKey(page, `Behind the balancer ${n}`);
    expect(key).toMatch(/^sk_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$/);
    expect(await leadsStatus(page, key)).toBe(200);
    keys.add(key);
  }
  expect(keys.size).toBe(8);
});

test("a rolled key is revealed, and the old one keeps working through its grace", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const old = await createKey(page, "Roll me");
  const row = page.locator(`tr[data-prefix="${old.slice(0, 14)}"]`);
  await row.getByRole("button", { name: "Roll key" }).click();
  const dialog = page.getByRole("dialog", { name: "Roll key" });
  await dialog.getByLabel("1 hour").check();
  await dialog.getByRole("button", { name: "Roll key" }).click();
  const fresh = await takeRevealedKey(page);
  expect(fresh).not.toBe(old);
  expect(await leadsStatus(page, fresh)).toBe(200);
  expect(await leadsStatus(page, old)).toBe(200);
});

test("an invitation link is shown and copied", async ({ page }) => {
  await signIn(page, "admin@leadline.test");
  await open(page, "/members");
  await page.getByLabel("Email").fill("balanced@acme.test");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Invitation link" });
  const link = await dialog.getByLabel("Invitation link").inputValue();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/invite\/[0-9a-f]{64}$/);
  await page.waitForSelector("body[data-hydrated]");
  await dialog.getByRole("button", { name: "Copy" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
});

test("a password-reset link is shown once", async ({ page }) => {
  await signIn(page, "admin@leadline.test");
  await open(page, "/admin?user=dev");
  await page.getByRole("button", { name: "Password-reset link for dev@acme.test" }).click();
  const field = page.getByRole("textbox", { name: "Password-reset link" });
  const link = await field.inputValue();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/reset-password\/[0-9a-f]{64}$/);
  await page.reload();
  await expect(field).toHaveCount(0);
});

test("a failed form comes back with its values and its error", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await open(page, "/leads");
  await page.getByRole("button", { name: "New lead" }).click();
  const form = page.getByRole("dialog", { name: "New lead" });
  await form.getByLabel("Name").fill("Grace Hopper");
  await form.getByLabel("Email").fill("not-an-email");
  await form.getByLabel("Company").fill("Navy");
  await form.getByRole("button", { name: "Save lead" }).click();
  await page.waitForURL(/flash=/);
  const again = page.getByRole("dialog", { name: "New lead" });
  await expect(again.getByText("Enter a valid email address")).toBeVisible();
  await expect(again.getByLabel("Name")).toHaveValue("Grace Hopper");
  await expect(again.getByLabel("Email")).toHaveValue("not-an-email");
  await expect(again.getByLabel("Company")).toHaveValue("Navy");
});

test("two tabs each create a key, and both are revealed", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  const second = await page.context().newPage();
  for (const tab of [page, second]) await open(tab, "/developer?dialog=new-key");
  const fill = async (tab: Page, name: string) => {
    const form = tab.getByRole("dialog", { name: "New key" });
    await form.getByLabel("Key name").fill(name);
    await form.getByLabel("read", { exact: true }).check();
    return form.getByRole("button", { name: "Create key" });
  };
  const [one, two] = [await fill(page, "Tab one"), await fill(second, "Tab two")];
  // Both posted before either reveal is shown.
  await Promise.all([one.click(), two.click()]);
  const [keyOne, keyTwo] = [await takeRevealedKey(page), await takeRevealedKey(second)];
  expect(keyOne).not.toBe(keyTwo);
  for (const [tab, key, name] of [[page, keyOne, "Tab one"], [second, keyTwo, "Tab two"]] as const) {
    await expect(tab.locator(`tr[data-prefix="${key.slice(0, 14)}"]`)).toContainText(name);
    expect(await leadsStatus(tab, key)).toBe(200);
  }
  // And nginx did spread the work: both instances answered.
  const upstreams = new Set(
    readFileSync("../target/balanced/access.log", "utf8")
      .split("\n")
      .map((line) => line.split(" ")[3])
      .filter(Boolean),
  );
  expect([...upstreams].sort()).toEqual(["127.0.0.1:3101", "127.0.0.1:3102"]);
});
