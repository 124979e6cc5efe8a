// Issue 14 at 1,000+ triggers in Chromium: find one by typing part of its name, page to the
// last, bulk-pause a tag, open a trigger's page and see its history, live trigger changes from
// the API, and keyboard-only bulk actions that keep focus.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { queryFromHash } from "../static/trigger_query.js";
import {
  apiJson,
  assertNoProblems,
  browserTest,
  eventually,
  openPage,
  triggerRow,
  uniqueName,
} from "./helpers/browser.ts";

const COUNT = 1_050;
const TAGGED_EVERY = 10; // every 10th trigger carries the tag `batch`
const CONCURRENCY = 16;

/** Run `fn(i)` for 0..n-1 with at most `width` in flight. */
async function pool(n: number, width: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** Whether the element is the focused one (a string: the page's globals need no types here). */
const isFocused = (page: Page, selector: string) =>
  page.evaluate<boolean>(
    `document.activeElement === document.querySelector(${JSON.stringify(selector)})`,
  );

/** The heading's count text ("100 of 1,051 loaded" or "1,051"). */
const headingCount = (page: Page) => page.locator("#triggers-title .count").innerText();

browserTest("UI at 1,000+ triggers in Chromium", async (t, { server, browser }) => {
  const prefix = uniqueName("load");
  const names: string[] = [];
  await pool(COUNT, CONCURRENCY, async (i) => {
    const name = `${prefix}-${String(i).padStart(4, "0")}`;
    const res = await apiJson(server.url, "POST", "/api/triggers", {
      name,
      type: "scheduled",
      schedule: { everySeconds: 86_400 },
      tags: i % TAGGED_EVERY === 0 ? ["batch", "load"] : ["load"],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    names[i] = name;
  });
  const needle = uniqueName("needle");
  const needleRes = await apiJson(server.url, "POST", "/api/triggers", {
    name: needle,
    type: "api",
    payload: { orderId: 7 },
    tags: ["needle"],
  });
  assert.equal(needleRes.status, 201);
  const all = await apiJson(server.url, "GET", "/api/triggers?limit=1");
  const total: number = all.body.total;
  assert.ok(total >= COUNT + 1, `total ${total}`);

  await t.step("typing part of a name finds the one trigger among 1,000+", async () => {
    const { context, page, problems } = await openPage(browser, server.url + "/#/triggers");
    await page.locator("#triggers-title .count").getByText(total.toLocaleString("en-US"), {
      exact: false,
    }).waitFor();
    const searched = needle.slice(3, 14);
    await page.getByLabel("Search names").pressSequentially(searched, { delay: 20 });
    await triggerRow(page, needle);
    await eventually(
      async () => (await page.locator("table.triggers tbody tr").count()) === 1 ? true : undefined,
      "only the needle listed",
    );
    assert.equal(await headingCount(page), "1");
    assert.match(page.url(), /#\/triggers\?q=/);
    // Typing is debounced: a prefix of the search can already list only the needle, so wait
    // until the URL holds all of it before reloading.
    await eventually(
      () => Promise.resolve(queryFromHash(new URL(page.url()).hash).q === searched || undefined),
      "the whole search in the URL",
    );
    // The URL keeps the search: a reload shows the same list.
    await page.reload();
    await triggerRow(page, needle);
    assert.equal(await page.getByLabel("Search names").inputValue(), searched);
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("Load more pages through every trigger to the last one", async () => {
    const { context, page, problems } = await openPage(browser, server.url + "/#/triggers");
    const more = page.getByRole("button", { name: "Load more triggers" });
    const rows = page.locator("table.triggers tbody tr");
    await more.waitFor();
    while ((await more.count()) > 0) {
      const before = await rows.count();
      await more.click();
      await eventually(
        async () => (await rows.count()) > before || (await more.count()) === 0 ? true : undefined,
        "the next page",
      );
    }
    assert.equal(await rows.count(), total);
    // Creation order: the needle, created last, is the last row.
    assert.equal(await rows.last().getAttribute("data-trigger"), needle);
    assert.equal(await headingCount(page), total.toLocaleString("en-US"));
    // Sorted by name, descending, from the URL: the first row is the greatest name.
    await page.goto(server.url + "/#/triggers?sort=name&order=desc&tag=load");
    await eventually(
      async () =>
        (await rows.first().getAttribute("data-trigger")) === names[COUNT - 1] ? true : undefined,
      "the greatest name first",
    );
    assert.equal(await page.getByLabel("Sort by").inputValue(), "name");
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("bulk-pause every trigger with a tag", async () => {
    const tagged = Math.ceil(COUNT / TAGGED_EVERY);
    const { context, page, problems } = await openPage(
      browser,
      server.url + "/#/triggers?tag=batch",
    );
    await page.locator("#triggers-title .count").getByText(`of ${tagged}`).waitFor();
    await page.getByLabel("Select all shown").check();
    await page.getByRole("button", { name: `Select all ${tagged} matching` }).click();
    await page.locator(".bulk-count").getByText(`All ${tagged} matching selected`).waitFor();
    await page.locator('.bulk-bar [data-bulk="pause"]').click();
    await page.locator(".bulk-result").getByText(
      `Paused: ${tagged} changed, 0 failed (of ${tagged} matched)`,
    ).waitFor();
    const paused = await apiJson(
      server.url,
      "GET",
      "/api/triggers?tag=batch&status=paused&limit=1",
    );
    assert.equal(paused.body.total, tagged);
    const active = await apiJson(
      server.url,
      "GET",
      "/api/triggers?tag=batch&status=active&limit=1",
    );
    assert.equal(active.body.total, 0);
    const others = await apiJson(server.url, "GET", "/api/triggers?status=paused&limit=1");
    assert.equal(others.body.total, tagged, "only the tagged ones are paused");
    // The rows on screen follow (live events or the reload after the action).
    await eventually(async () => {
      const statuses = await page.locator("table.triggers tbody .badge[class*=status-]")
        .allInnerTexts();
      return statuses.length > 0 && statuses.every((s) => s === "paused") ? true : undefined;
    }, "every row paused");
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("a trigger's page shows its definition, calls, chart and history", async () => {
    const id = needleRes.body.id;
    for (let i = 0; i < 3; i++) {
      const fired = await apiJson(server.url, "POST", `/api/triggers/${id}/fire`, { orderId: i });
      assert.equal(fired.status, 202);
    }
    const { context, page, problems } = await openPage(
      browser,
      `${server.url}/#/triggers?q=${needle}`,
    );
    // The page asks for this trigger's counts alone, not every trigger's row.
    const statsUrls: string[] = [];
    page.on(
      "request",
      (r) => void (r.url().includes("/api/logs/stats") && statsUrls.push(r.url())),
    );
    await (await triggerRow(page, needle)).getByRole("link", { name: needle }).click();
    await page.getByRole("heading", { level: 1, name: needle }).waitFor();
    assert.match(page.url(), new RegExp(`#/triggers/${id}$`));
    await page.getByText("3 active, 0 archived").waitFor();
    assert.ok(statsUrls.length > 0 && statsUrls.every((u) => u.endsWith(`?trigger=${id}`)));
    const history = page.locator("section.history table.logs tbody tr");
    await eventually(async () => (await history.count()) === 3 ? true : undefined, "3 firings");
    await page.locator(".chart-card .chart-total").getByText("3", { exact: true }).waitFor();
    assert.equal(
      await page.locator("#call-cli").innerText(),
      `tock triggers fire ${needle} --payload '{"orderId":7}'`,
    );
    assert.match(
      await page.locator("#call-curl").innerText(),
      new RegExp(`/api/triggers/${id}/fire`),
    );
    // A firing while the page is open joins the history and the chart live.
    await apiJson(server.url, "POST", `/api/triggers/${id}/fire`, { orderId: 9 });
    await eventually(async () => (await history.count()) === 4 ? true : undefined, "4 firings");
    await page.locator(".chart-card .chart-total").getByText("4", { exact: true }).waitFor();
    // A scheduled trigger's page lists its next 10 runs.
    const first = (await apiJson(server.url, "GET", `/api/triggers?q=${names[1]}`)).body.items[0];
    await page.goto(`${server.url}/#/triggers/${first.id}`);
    await page.getByRole("heading", { level: 1, name: names[1] }).waitFor();
    await eventually(
      async () => (await page.locator("ol.runs li").count()) === 10 ? true : undefined,
      "10 next runs",
    );
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("triggers created, changed and deleted elsewhere show up live", async () => {
    const { context, page, problems } = await openPage(
      browser,
      `${server.url}/#/triggers?tag=live`,
    );
    await page.getByText("No trigger matches these filters.").waitFor();
    await page.locator(".live-live").waitFor();
    const name = uniqueName("elsewhere");
    const created = await apiJson(server.url, "POST", "/api/triggers", {
      name,
      type: "scheduled",
      schedule: { everySeconds: 3600 },
      tags: ["live"],
    });
    const row = await triggerRow(page, name);
    assert.equal(await headingCount(page), "1");
    await apiJson(server.url, "POST", `/api/triggers/${created.body.id}/pause`);
    await row.locator(".badge.status-paused").waitFor();
    await apiJson(server.url, "DELETE", `/api/triggers/${created.body.id}`);
    await row.waitFor({ state: "detached" });
    await page.getByText("No trigger matches these filters.").waitFor();
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("keyboard only: select rows and bulk-resume them, focus stays put", async () => {
    const { context, page, problems } = await openPage(
      browser,
      server.url + "/#/triggers?tag=batch",
    );
    await triggerRow(page, names[0]);
    await page.getByLabel("Search names").focus();
    // From the search box, Tab reaches the first row's checkbox past the other controls.
    const boxAt = `tr[data-trigger="${names[0]}"] td.select input`;
    const box = page.locator(boxAt);
    for (let i = 0; i < 30 && !(await isFocused(page, boxAt)); i++) {
      await page.keyboard.press("Tab");
    }
    assert.equal(await isFocused(page, boxAt), true, "Tab reaches the row's checkbox");
    await page.keyboard.press("Space");
    assert.equal(await box.isChecked(), true);
    await page.locator(".bulk-count").getByText("1 selected").waitFor();
    const resume = page.locator('.bulk-bar [data-bulk="resume"]');
    await resume.focus();
    await page.keyboard.press("Enter");
    await page.locator(".bulk-result").getByText("Resumed: 1 changed, 0 failed").waitFor();
    assert.equal(await isFocused(page, '.bulk-bar [data-bulk="resume"]'), true);
    // Delete asks first; Escape cancels and nothing is deleted.
    await box.focus();
    await page.keyboard.press("Space");
    const del = page.locator('.bulk-bar [data-bulk="delete"]');
    await del.focus();
    await page.keyboard.press("Enter");
    const confirm = page.getByRole("dialog", { name: "Delete 1 triggers?" });
    await confirm.waitFor();
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "detached" });
    assert.equal(await isFocused(page, '.bulk-bar [data-bulk="delete"]'), true);
    assert.equal((await apiJson(server.url, "GET", `/api/triggers?q=${names[0]}`)).body.total, 1);
    assertNoProblems(problems);
    await context.close();
  });
});
