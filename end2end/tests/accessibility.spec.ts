import AxeBuilder from "@axe-core/playwright";
import { expect, Page, test } from "@playwright/test";
import { createKey, endpointPages, open, signIn, signOut } from "./helpers";

// axe-core on every page and every dialog that opens from the address,
// signed out and signed in: no serious or critical WCAG 2.2 AA violation.
const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

async function scan(page: Page, paths: string[], found: string[]) {
  for (const path of paths) {
    await open(page, path);
    const { violations } = await new AxeBuilder({ page }).withTags(WCAG).analyze();
    for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
      const where = v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ");
      found.push(`${path}: ${v.id} (${v.impact}) at ${where}`);
    }
  }
}

test("every page and dialog meets WCAG 2.2 AA as axe-core checks it", async ({ page }) => {
  test.setTimeout(180_000);
  const found: string[] = [];
  const endpoints = await endpointPages(page);
  await scan(page, ["/sign-in", "/docs", "/docs/errors", ...endpoints], found);

  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const key = await createKey(page, "Accessibility check");
  const usage = await page.locator(`tr[data-prefix="${key.slice(0, 14)}"] a[href^="/developer/keys/"]`).getAttribute("href");
  const id = usage!.split("/").pop();
  // A lead of the demo's, for the Leads dialogs.
  const leads = await page.request.get("/api/v1/leads", { headers: { Authorization: `Bearer ${key}` } });
  const leadId = (await leads.json()).data[0].id;
  const requestId = leads.headers()["request-id"];
  await scan(
    page,
    [
      "/leads",
      "/leads?dialog=new-lead",
      `/leads?dialog=edit&id=${leadId}`,
      `/leads?dialog=delete&id=${leadId}`,
      "/developer",
      "/developer?dialog=new-key",
      ...["edit", "roll", "revoke", "delete"].map((d) => `/developer?dialog=${d}&id=${id}`),
      usage!,
      "/audit",
      "/account",
      "/account/notifications",
      "/docs",
      ...endpoints,
      // Last: by now the request log has been written (every 5 s).
      "/developer/requests",
      `/developer/requests?id=${requestId}`,
    ],
    found,
  );
  // The reveal, as it opens after "Create key".
  await open(page, "/developer");
  await page.getByRole("button", { name: "New key" }).first().click();
  const form = page.getByRole("dialog", { name: "New key" });
  await form.getByLabel("Key name").fill("Reveal check");
  await form.getByLabel("read", { exact: true }).check();
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("dialog", { name: "Your new API key" })).toBeVisible();
  await page.waitForSelector("body[data-hydrated]");
  const reveal = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  await page.getByRole("dialog", { name: "Your new API key" }).getByRole("button", { name: "Done" }).click();
  for (const v of reveal.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
    found.push(`reveal: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }
  await signOut(page);

  await signIn(page, "admin@leadline.test");
  await scan(
    page,
    [
      "/developer?dialog=policy",
      "/members",
      "/members?dialog=remove&id=dev%40acme.test",
      "/admin",
      "/admin?user=dev",
      "/admin/outbox",
      "/developer/webhooks",
    ],
    found,
  );
  await signOut(page);
  expect(found).toEqual([]);
});
