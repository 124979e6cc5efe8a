// Screenshots of both views for people to look at (desktop, phone, dark), and no sideways scroll on a phone.
// Browser tests (Chromium) against the real server; see tests/helpers/browser.ts for the fixture.
import assert from "node:assert/strict";
import {
  apiJson,
  assertNoProblems,
  browserTest,
  DESKTOP,
  eventually,
  openPage,
  PHONE,
  triggerRow,
} from "./helpers/browser.ts";
const ARTIFACTS = new URL("./artifacts/", import.meta.url);
browserTest("UI screenshots in Chromium", async (t, { server, browser }) => {
  await t.step("screenshots of the triggers and logs views, desktop and phone", async () => {
    // This file's server holds nothing else, so the pictures show a tidy, realistic set of
    // triggers; a webhook receiver that is down makes one delivery show as failed.
    const down = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("maintenance", { status: 503 }),
    );
    try {
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      const post = (body: unknown) => apiJson(server.url, "POST", "/api/triggers", body);
      const ids: Record<string, string> = {};
      for (
        const t of [
          {
            name: "nightly-report",
            type: "scheduled",
            schedule: { cron: "0 16 * * *", timezone: "Asia/Kolkata" },
            payload: { report: "nightly" },
          },
          { name: "heartbeat", type: "scheduled", schedule: { everySeconds: 2 } },
          {
            name: "cache-warmup",
            type: "scheduled",
            schedule: { everySeconds: 600 },
            misfire: "skip",
          },
          {
            name: "weekday-standup",
            type: "scheduled",
            schedule: { cron: "30 9 * * 1-5", timezone: "Europe/Berlin" },
          },
          { name: "reminder", type: "scheduled", schedule: { delaySeconds: 5400 } },
          {
            name: "order-created",
            type: "api",
            payload: { orderId: 0 },
            webhook: {
              url: `http://127.0.0.1:${down.addr.port}/orders`,
              retries: 0,
              timeoutMs: 1000,
            },
          },
          { name: "deploy-hook", type: "api" },
        ]
      ) {
        const res = await post(t);
        assert.deepEqual(res.status, 201, JSON.stringify(res.body));
        ids[t.name] = res.body.id;
      }
      await apiJson(server.url, "POST", `/api/triggers/${ids["cache-warmup"]}/pause`);
      for (let i = 1; i <= 3; i++) {
        await apiJson(server.url, "POST", `/api/triggers/${ids["deploy-hook"]}/fire`, { build: i });
      }
      await apiJson(server.url, "POST", `/api/triggers/${ids["order-created"]}/fire`, {
        orderId: 1042,
      });
      await apiJson(server.url, "POST", `/api/triggers/${ids["nightly-report"]}/fire`);
      // Wait until the heartbeat has fired a few times and the webhook outcome has settled.
      await eventually(async () => {
        const logs = await apiJson(server.url, "GET", "/api/logs?limit=100");
        const beats = logs.body.items.filter((l: { triggerName: string }) =>
          l.triggerName === "heartbeat"
        );
        const order = logs.body.items.find((l: { triggerName: string }) =>
          l.triggerName === "order-created"
        );
        return beats.length >= 3 && order?.outcome === "failed" ? true : undefined;
      }, "heartbeat firings and a failed delivery");
      await apiJson(server.url, "POST", `/api/triggers/${ids["heartbeat"]}/pause`);

      for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]] as const) {
        const { context, page, problems } = await openPage(
          browser,
          server.url + "/#/triggers",
          { viewport },
        );
        await triggerRow(page, "nightly-report");
        await page.locator(".live-live").waitFor();
        await page.screenshot({ path: new URL(`ui-triggers-${label}.png`, ARTIFACTS).pathname });
        if (label === "phone") {
          const overflow = await page.evaluate<number>("document.documentElement.scrollWidth");
          assert(overflow <= PHONE.width, `the page scrolls sideways on a phone (${overflow}px)`);
        }
        await page.getByRole("link", { name: "Logs" }).click();
        await page.locator('table.logs tr[data-trigger="order-created"] .outcome-failed').waitFor();
        await page.locator("table.stats tbody tr").first().waitFor({ state: "attached" });
        await page.screenshot({ path: new URL(`ui-logs-${label}.png`, ARTIFACTS).pathname });
        if (label === "phone") {
          const overflow = await page.evaluate<number>("document.documentElement.scrollWidth");
          assert(
            overflow <= PHONE.width,
            `the logs view scrolls sideways on a phone (${overflow}px)`,
          );
        }
        assertNoProblems(problems);
        await context.close();
      }
      // Dark mode and the form, for a human to look at (not copied into docs/).
      const context = await browser.newContext({ viewport: DESKTOP, colorScheme: "dark" });
      const page = await context.newPage();
      await page.goto(server.url + "/#/triggers");
      await triggerRow(page, "nightly-report");
      await page.screenshot({ path: new URL("ui-triggers-desktop-dark.png", ARTIFACTS).pathname });
      await page.getByRole("button", { name: "Edit nightly-report" }).click();
      await page.locator(".preview li").first().waitFor();
      await page.screenshot({ path: new URL("ui-form-desktop-dark.png", ARTIFACTS).pathname });
      await context.close();
    } finally {
      await down.shutdown();
    }
  });
});
