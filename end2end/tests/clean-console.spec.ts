import { expect, Page, test } from "@playwright/test";
import { createKey, endpointPages, open, signIn, signOut } from "./helpers";

// Every page, signed out and signed in: no console error, no uncaught
// exception, no failed request (the favicon included).
function watch(page: Page) {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught on ${page.url()}: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
  });
  return problems;
}

async function visitAll(page: Page, paths: string[]) {
  for (const path of paths) {
    await open(page, path);
    // Let late requests (favicon, server functions) finish.
    await page.waitForLoadState("networkidle");
  }
}

test("no page logs a console error or a failed request, signed out or in", async ({ page }) => {
  const problems = watch(page);
  const endpoints = await endpointPages(page);
  expect(endpoints.length).toBeGreaterThan(3);

  await visitAll(page, ["/sign-in", "/docs", ...endpoints, "/leads", "/developer"]);

  await signIn(page, "dev@acme.test");
  await open(page, "/developer");
  const key = await createKey(page, "Console check");
  const id = await page.locator(`tr[data-prefix="${key.slice(0, 14)}"] a[href^="/developer/keys/"]`).getAttribute("href");
  const keyPages = [id!, ...["edit", "roll", "revoke", "delete"].map((d) => `/developer?dialog=${d}&id=${id!.split("/").pop()}`)];
  await visitAll(page, ["/leads", "/leads?dialog=new-lead", "/developer", "/developer?dialog=new-key", ...keyPages]);
  await visitAll(page, ["/audit", "/account", "/account/notifications", "/docs", ...endpoints]);
  await signOut(page);
  await signIn(page, "admin@leadline.test");
  await visitAll(page, ["/leads", "/developer", "/developer?dialog=policy", "/audit", "/account", "/members", "/admin", "/admin/outbox", "/developer/webhooks", "/docs", ...endpoints]);
  await signOut(page);
  expect(problems).toEqual([]);
});

test("the optimized build's files are hashed, compressed and immutable; favicons are linked", async ({ page, request }) => {
  await open(page, "/sign-in");
  await expect(page.locator('link[rel="icon"][href="/favicon.svg"]')).toHaveCount(1);
  for (const path of ["/favicon.svg", "/favicon.ico", "/robots.txt"]) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(200);
  }
  const wasm = await page.locator('link[href$=".wasm"]').getAttribute("href");
  const js = await page.locator('link[rel="modulepreload"]').first().getAttribute("href");
  const css = await page.locator('link[rel="stylesheet"]').getAttribute("href");
  for (const path of [wasm, js, css]) {
    expect(path, "a content-hashed name").toMatch(/^\/pkg\/leadline\.[A-Za-z0-9_-]+\.(wasm|js|css)$/);
    const response = await request.get(path!, { headers: { "Accept-Encoding": "br, gzip" } });
    expect(response.status(), path!).toBe(200);
    expect(response.headers()["content-encoding"], path!).toBe("br");
    expect(response.headers()["cache-control"], path!).toBe("public, max-age=31536000, immutable");
  }
  const html = await request.get("/sign-in");
  expect(html.headers()["cache-control"]).toBe("no-store");
});
