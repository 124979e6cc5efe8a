// The logs view and the live stream: redeliver, API key, reconnect with a stale-data banner,
// dates, URL filters, the folded stats table and a bounded list.
// Browser tests (Chromium) against the real server; see tests/helpers/browser.ts for the fixture.
import assert from "node:assert/strict";
import {
  apiJson,
  assertNoProblems,
  browserTest,
  eventually,
  openPage,
  uniqueName,
} from "./helpers/browser.ts";
import { startServer } from "./helpers/server.ts";

browserTest("UI logs view in Chromium", async (t, { server, browser }) => {
  await t.step("a failed webhook delivery can be redelivered from the logs view", async () => {
    let calls = 0;
    const hook = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
      calls++;
      return new Response(calls === 1 ? "no" : "ok", { status: calls === 1 ? 500 : 200 });
    });
    try {
      const name = uniqueName("hook");
      const created = await apiJson(server.url, "POST", "/api/triggers", {
        name,
        type: "api",
        webhook: { url: `http://127.0.0.1:${hook.addr.port}/hook`, retries: 0, timeoutMs: 5000 },
      });
      assert.deepEqual(created.status, 201);
      const { context, page, problems } = await openPage(browser, server.url + "/#/logs");
      await page.locator(".live-live").waitFor();
      await apiJson(server.url, "POST", `/api/triggers/${created.body.id}/fire`, { hello: 1 });
      const entry = page.locator(`table.logs tr[data-trigger="${name}"]`);
      await entry.locator(".outcome-failed").waitFor();
      await entry.getByRole("button", { name: `Redeliver ${name} firing` }).click();
      await entry.locator(".outcome-ok").waitFor();
      assert.deepEqual(calls, 2);
      assertNoProblems(problems);
      await context.close();
    } finally {
      await hook.shutdown();
    }
  });

  await t.step(
    "with an API key the UI asks once, remembers it, and sends it for SSE too",
    async () => {
      const key = `k-${crypto.randomUUID()}`;
      const server = await startServer({ args: ["--api-key", key] });
      try {
        assert.deepEqual(
          await fetch(`${server.url}/`).then(async (r) => {
            await r.body?.cancel();
            return r.status;
          }),
          200,
        );
        const { context, page, problems } = await openPage(browser, server.url + "/");
        const prompt = page.getByRole("dialog", { name: "API key required" });
        await prompt.getByLabel("API key").fill("wrong");
        await prompt.getByRole("button", { name: "Use this key" }).click();
        await prompt.getByText("That key was not accepted").waitFor();
        await prompt.getByLabel("API key").fill(key);
        await prompt.getByRole("button", { name: "Use this key" }).click();
        await prompt.waitFor({ state: "detached" });
        await page.locator(".live-live").waitFor();
        assert.deepEqual(await page.evaluate(() => localStorage.getItem("tock.apiKey")), key);

        await page.reload();
        await page.getByRole("heading", { name: /Triggers/ }).waitFor();
        await page.locator(".live-live").waitFor();
        assert.deepEqual(await prompt.count(), 0);
        await page.getByRole("link", { name: "Logs" }).click();
        await page.getByRole("heading", { name: "Logs", exact: true }).waitFor();
        const name = uniqueName("keyed");
        const created = await apiJson(server.url, "POST", "/api/triggers", {
          name,
          type: "api",
        }, key);
        assert.deepEqual(created.status, 201);
        await apiJson(server.url, "POST", `/api/triggers/${created.body.id}/fire`, undefined, key);
        await page.locator(`table.logs tr.fresh[data-trigger="${name}"]`).waitFor();
        assertNoProblems(problems);
        await context.close();
      } finally {
        await server.stop();
      }
    },
  );

  await t.step("the live stream reconnects after a server restart", async () => {
    const first = await startServer();
    const name = uniqueName("restart");
    const created = await apiJson(first.url, "POST", "/api/triggers", { name, type: "api" });
    assert.equal(created.status, 201);
    const { context, page, problems } = await openPage(browser, first.url + "/#/logs");
    await page.locator(".live-live").waitFor();
    await first.stop();
    await page.locator(".live-offline").waitFor();
    await page.locator(".stale-banner").waitFor();
    const second = await startServer({ kvPath: first.kvPath, port: first.port });
    try {
      await page.locator(".live-live").waitFor();
      await page.locator(".stale-banner").waitFor({ state: "detached" });
      await apiJson(second.url, "POST", `/api/triggers/${created.body.id}/fire`, { after: 1 });
      await page.locator(`table.logs tr.fresh[data-trigger="${name}"]`).waitFor();
      assertNoProblems(problems);
      await context.close();
    } finally {
      await second.stop();
    }
  });

  await t.step("dates, URL filters and the folded per-trigger stats", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await apiJson(server.url, "POST", "/api/triggers", {
        name: uniqueName(`stat-${i}`),
        type: "api",
      });
      ids.push(res.body.id);
      await apiJson(server.url, "POST", `/api/triggers/${res.body.id}/fire`);
    }
    const { context, page, problems } = await openPage(browser, server.url + "/#/logs");
    const rows = page.locator("table.logs tbody tr");
    await rows.first().waitFor();
    const fired = await rows.first().locator('[data-label="Fired"] time').first().innerText();
    const day = new Date().getDate();
    assert.match(fired, new RegExp(`\\b${day}\\b`), `no date in "${fired}"`);

    const stats = page.locator("table.stats tbody tr");
    await stats.first().waitFor();
    assert.equal(await stats.count(), 10);
    // The top ten come from ?top=10; every row only once asked for.
    const loaded = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => e.name)
        .filter((n) => n.includes("/api/logs/stats"))
    );
    assert.equal(new URL(loaded[0]).search, "?top=10");
    const asked: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/logs/stats")) asked.push(new URL(r.url()).search);
    });
    await page.getByRole("button", { name: /^Show all \d+ triggers$/ }).click();
    await stats.nth(11).waitFor();
    assert.equal(asked[0], "");

    await page.getByLabel("Source").selectOption("manual");
    await page.waitForURL(/#\/logs\?source=manual$/);
    await page.reload();
    await page.locator(".live-live").waitFor();
    assert.equal(await page.getByLabel("Source").inputValue(), "manual");
    await page.getByText("No firings yet").waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("a burst of live firings leaves a bounded list, older rows on demand", async () => {
    const name = uniqueName("burst");
    const created = await apiJson(server.url, "POST", "/api/triggers", { name, type: "api" });
    const id = created.body.id;
    const { context, page, problems } = await openPage(
      browser,
      `${server.url}/#/logs?trigger=${id}`,
    );
    await page.locator(".live-live").waitFor();
    await page.getByText("No firings yet").waitFor();
    const total = 510;
    for (let i = 0; i < total; i += 15) {
      await Promise.all(
        Array.from(
          { length: Math.min(15, total - i) },
          (_, k) => apiJson(server.url, "POST", `/api/triggers/${id}/fire`, { n: i + k }),
        ),
      );
    }
    const rows = page.locator("table.logs tbody tr");
    // The newest firing is on top once all have arrived; the list holds 500 of the 510.
    await eventually(async () => (await rows.count()) === 500 ? true : undefined, "500 rows");
    await page.getByRole("button", { name: "Load older" }).click();
    await eventually(async () => (await rows.count()) === total ? true : undefined, "all rows");
    const shown = await page.locator("table.logs tbody tr").evaluateAll((trs) =>
      trs.map((tr) => tr.getAttribute("data-log"))
    );
    assert.equal(new Set(shown).size, total);
    assertNoProblems(problems);
    await context.close();
  });
});
