// The Logs tab through 5,000 live firings (fired through the API with concurrency): the DOM
// holds at most MAX_ROWS rows at every moment, watched by a MutationObserver in the page (every
// DOM change, not samples in time), and the newest firing reaches the list.
import assert from "node:assert/strict";
import { MAX_ROWS } from "../static/log_list.js";
import { apiJson, assertNoProblems, browserTest, openPage, uniqueName } from "./helpers/browser.ts";

const FIRINGS = 5_000;
const CONCURRENCY = 16;
/** Long: 5,000 firings on a shared two-core machine. Polled, so a fast run ends early. */
const DEADLINE_MS = 180_000;

browserTest("UI logs through 5,000 live firings in Chromium", async (t, { server, browser }) => {
  await t.step("the Logs tab stays bounded while 5,000 firings arrive live", async () => {
    const name = uniqueName("flood");
    const created = await apiJson(server.url, "POST", "/api/triggers", { name, type: "api" });
    assert.equal(created.status, 201);
    const id = created.body.id;
    const { context, page, problems } = await openPage(browser, server.url + "/#/logs");
    await page.locator(".live-live").waitFor();
    await page.getByText("No firings yet").waitFor();
    // Every DOM change to the list is seen: the most rows ever present, and each row id shown.
    await page.evaluate(`(() => {
      window.__rows = { max: 0, seen: new Set() };
      const observe = () => {
        const body = document.querySelector("table.logs tbody");
        if (!body) return;
        window.__rows.max = Math.max(window.__rows.max, body.rows.length);
      };
      new MutationObserver((records) => {
        for (const r of records) {
          for (const n of r.addedNodes) {
            if (n.nodeType === 1 && n.matches("tr[data-log]")) window.__rows.seen.add(n.dataset.log);
            if (n.nodeType === 1) for (const tr of n.querySelectorAll("tr[data-log]")) {
              window.__rows.seen.add(tr.dataset.log);
            }
          }
        }
        observe();
      }).observe(document.getElementById("logs-panel"), { childList: true, subtree: true });
    })()`);

    const fired: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < FIRINGS) {
        const n = next++;
        const res = await apiJson(server.url, "POST", `/api/triggers/${id}/fire`, { n });
        assert.equal(res.status, 202, JSON.stringify(res.body));
        fired.push(res.body.id);
      }
    }));

    // Done once the newest firing is on screen: shown live, or listed by the reload that
    // follows a reconnect (the server closes a stream whose client falls 1 MiB behind).
    const newest = fired.reduce((a, b) => (a > b ? a : b));
    const deadline = Date.now() + DEADLINE_MS;
    let shown = false;
    while (Date.now() < deadline) {
      shown = await page.evaluate<boolean>(`window.__rows.seen.has(${JSON.stringify(newest)})`);
      if (shown) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(shown, "the newest firing never reached the list");
    await page.locator(".live-live").waitFor();
    const seen = await page.evaluate<number>("window.__rows.seen.size");
    const max = await page.evaluate<number>("window.__rows.max");
    const rows = await page.locator("table.logs tbody tr").count();
    console.log(
      `${FIRINGS} live firings: ${seen} rows shown in all, at most ${max} at once, ${rows} at the end`,
    );
    assert.ok(max <= MAX_ROWS, `${max} rows at once`);
    assert.equal(rows, MAX_ROWS);
    // The chart counts every one of them, from the server's histogram after a reload too.
    await page.reload();
    await page.locator(".chart-card .chart-total").getByText(FIRINGS.toLocaleString("en-US"))
      .waitFor();
    assertNoProblems(problems);
    await context.close();
  });
});
