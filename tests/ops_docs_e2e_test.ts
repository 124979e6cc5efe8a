/** `/docs` in headless Chromium: every operation of /openapi.json rendered, from Tock only. */
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, watchProblems } from "./helpers/browser.ts";
import { startServer } from "./helpers/server.ts";

// Playwright keeps its own handles and timers across a test.
const opts = { sanitizeOps: false, sanitizeResources: false, sanitizeExit: false };

if (!chromiumAvailable()) {
  if (Deno.env.get("TOCK_REQUIRE_BROWSER") === "1") {
    Deno.test("/docs end-to-end test needs Chromium (TOCK_REQUIRE_BROWSER=1)", () => {
      throw new Error("Chromium not found");
    });
  } else {
    Deno.test({ name: "/docs end-to-end test (Chromium not found)", ignore: true, fn() {} });
  }
} else {
  Deno.test(
    "/docs renders every operation with its schemas, with a key configured",
    opts,
    async () => {
      const server = await startServer({ args: ["--api-key", "docs-key"] });
      const browser = await launchBrowser();
      try {
        const doc = await (await fetch(`${server.url}/openapi.json`)).json();
        let operations = 0;
        for (const item of Object.values(doc.paths)) {
          operations += Object.keys(item as object).length;
        }

        const page = await browser.newPage();
        const problems = watchProblems(page);
        const origins = new Set<string>();
        page.on("request", (req) => origins.add(new URL(req.url()).origin));
        await page.goto(`${server.url}/docs`);
        const ops = page.locator("details[data-search]");
        // A locator, not waitForFunction: its polling evaluates a string in the page, which
        // the page's CSP (script-src 'self') refuses whenever the first check comes too early.
        await ops.nth(operations - 1).waitFor({ state: "attached" });
        assert.equal(await ops.count(), operations);

        // The create operation shows the fields of TriggerCreate, required ones marked.
        const create = page.locator('details[data-search^="/api/triggers create a trigger"]');
        await create.locator("summary").first().click();
        const body = await create.innerText();
        for (const field of ["name", "schedule", "webhook", "misfire", "payloadSchema"]) {
          assert.match(body, new RegExp(`\\b${field}\\b`), field);
        }
        assert.match(body, /name \*/);
        assert.match(body, /"fire_once" \| "skip"/);
        assert.match(body, /API key/);

        // The filter narrows the list.
        await page.fill("#filter", "redeliver");
        const visible = await page.locator("details[data-search]:not([hidden])").count();
        assert.equal(visible, 1);

        assert.deepEqual([...origins], [new URL(server.url).origin]);
        assert.deepEqual(problems.errors, []);
      } finally {
        await browser.close();
        await server.stop();
      }
    },
  );
}
