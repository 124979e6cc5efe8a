// axe-core, injected into the real UI in Chromium, finds no accessibility violations on the
// Triggers view, a trigger's page or the Logs view (with rows of every kind: scheduled, api,
// paused, failed; tags, a selection, the histogram chart).
import assert from "node:assert/strict";
import axe from "axe-core";
import type { Page } from "playwright-core";
import {
  apiJson,
  assertNoProblems,
  browserTest,
  eventually,
  openPage,
  triggerRow,
} from "./helpers/browser.ts";

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[] }[];
}

/** Run axe on the page as it is; the violations, summarised so a failure says what and where. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  // A string, so the page's own globals (axe, document) need no types on this side.
  const found = await page.evaluate<Violation[]>(
    "axe.run(document).then((r) => r.violations)",
  );
  return found.map((v) =>
    `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`
  );
}

browserTest("UI accessibility (axe-core) in Chromium", async (t, { server, browser }) => {
  const down = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("down", { status: 503 }),
  );
  try {
    const post = async (body: unknown) => {
      const res = await apiJson(server.url, "POST", "/api/triggers", body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    await post({ name: "every-hour", type: "scheduled", schedule: { everySeconds: 3600 } });
    const paused = await post({
      name: "paused-one",
      type: "scheduled",
      schedule: { cron: "0 9 * * 1-5" },
    });
    await apiJson(server.url, "POST", `/api/triggers/${paused}/pause`);
    const hook = await post({
      name: "order-created",
      type: "api",
      tags: ["orders", "eu"],
      webhook: { url: `http://127.0.0.1:${down.addr.port}/`, retries: 0, timeoutMs: 1000 },
    });
    await apiJson(server.url, "POST", `/api/triggers/${hook}/fire`, { orderId: 1 });
    await apiJson(server.url, "POST", `/api/triggers/${paused}/fire`);
    await eventually(async () => {
      const logs = await apiJson(server.url, "GET", "/api/logs?outcome=failed");
      return logs.body.items.length > 0 ? true : undefined;
    }, "the failed delivery");

    await t.step("the Triggers view has no axe violations", async () => {
      const { context, page, problems } = await openPage(browser, server.url + "/#/triggers", {
        bypassCSP: true,
      });
      await triggerRow(page, "order-created");
      await page.locator(".live-live").waitFor();
      assert.deepEqual(await violations(page), []);
      assertNoProblems(problems);
      await context.close();
    });

    await t.step("a trigger's page has no axe violations (api and scheduled)", async () => {
      for (const id of [hook, paused]) {
        const { context, page, problems } = await openPage(
          browser,
          `${server.url}/#/triggers/${id}`,
          { bypassCSP: true },
        );
        await page.locator("section.history table.logs tbody tr").first().waitFor();
        await page.locator(".chart-card .chart").waitFor();
        await page.locator(".live-live").waitFor();
        assert.deepEqual(await violations(page), []);
        assertNoProblems(problems);
        await context.close();
      }
    });

    await t.step("the Triggers view with a selection has no axe violations", async () => {
      const { context, page, problems } = await openPage(
        browser,
        server.url + "/#/triggers?sort=name&order=desc",
        { bypassCSP: true },
      );
      await (await triggerRow(page, "order-created")).getByLabel("Select order-created").check();
      await page.locator(".bulk-count").getByText("1 selected").waitFor();
      assert.deepEqual(await violations(page), []);
      assertNoProblems(problems);
      await context.close();
    });

    await t.step("the Logs view has no axe violations", async () => {
      const { context, page, problems } = await openPage(browser, server.url + "/#/logs", {
        bypassCSP: true,
      });
      await page.locator('table.logs tr[data-trigger="order-created"] .outcome-failed').waitFor();
      await page.locator("table.stats tbody tr").first().waitFor();
      await page.locator(".chart-card .chart").waitFor();
      assert.deepEqual(await violations(page), []);
      assertNoProblems(problems);
      await context.close();
    });
  } finally {
    await down.shutdown();
  }
});
