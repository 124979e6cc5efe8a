// Tests of the web UI. The end-to-end ones drive the real server (tests/helpers/server.ts) with
// headless Chromium; without Chromium they are skipped with a clear line, or fail when
// TOCK_REQUIRE_BROWSER=1. uiRoutes() and the UI's pure modules are tested here without a browser.
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startServer } from "./helpers/server.ts";
import {
  CHROMIUM_PATH,
  chromiumAvailable,
  launchBrowser,
  type PageProblems,
  watchProblems,
} from "./helpers/browser.ts";
import { uiRoutes } from "../routes/ui.ts";
import { scheduleWords } from "../static/format.js";
import { definitionOf, formState, patchOf } from "../static/trigger_model.js";
import { placeErrors } from "../static/errors.js";
import { ApiError } from "../static/api.js";

const TIMEOUT = 15_000;
const ARTIFACTS = new URL("./artifacts/", import.meta.url);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const opts = { sanitizeOps: false, sanitizeResources: false, sanitizeExit: false };

type Server = Awaited<ReturnType<typeof startServer>>;
interface Env {
  server: Server;
  browser: Browser;
}

const available = chromiumAvailable();
const required = Deno.env.get("TOCK_REQUIRE_BROWSER") === "1";

let shared: Promise<Env> | null = null;
/** One server and one browser for the whole file, started by the first test that needs them. */
function env(): Promise<Env> {
  shared ??= (async () => {
    const server = await startServer();
    try {
      return { server, browser: await launchBrowser() };
    } catch (err) {
      await server.stop();
      throw err;
    }
  })();
  return shared;
}

/** A fresh browser context (own localStorage) with one page watched for errors. */
async function open(
  browser: Browser,
  url: string,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport, colorScheme: "light" });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(url);
  return { context, page, problems };
}

/** Uncaught errors and console errors, except the browser's own note on each non-2xx fetch. */
function assertNoProblems(problems: PageProblems) {
  const real = problems.errors.filter((e) => !e.includes("Failed to load resource"));
  assert.deepEqual(real, []);
}

async function apiJson(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  key?: string,
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Poll `check` until it returns a value (not undefined) or the deadline passes. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + TIMEOUT;
  let delay = 50;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

async function triggerRow(page: Page, name: string) {
  const row = page.locator(`table.triggers tr[data-trigger="${name}"]`);
  await row.waitFor();
  return row;
}

// These need no browser: uiRoutes() on its own socket, and the UI's pure modules.
Deno.test("uiRoutes() serves the UI with types, gzip and caching, and refuses traversal", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, uiRoutes().fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const shell = await fetch(`${url}/`);
    assert.equal(shell.status, 200);
    assert.equal(shell.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(shell.headers.get("cache-control"), "no-cache");
    assert.match(shell.headers.get("content-security-policy") ?? "", /script-src 'self' 'sha256-/);
    assert.match(await shell.text(), /<script type="importmap">/);

    const plain = await fetch(`${url}/static/app.js`, {
      headers: { "Accept-Encoding": "identity" },
    });
    const source = await plain.text();
    assert.equal(plain.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(plain.headers.get("content-encoding"), null);
    const zipped = await fetch(`${url}/static/app.js`, { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    assert.equal(await zipped.text(), source); // fetch inflates it
    const etag = zipped.headers.get("etag");
    assert(etag);
    const again = await fetch(`${url}/static/app.js`, {
      headers: { "Accept-Encoding": "gzip", "If-None-Match": etag },
    });
    assert.equal(again.status, 304);
    await again.body?.cancel();

    const vendor = await fetch(`${url}/static/vendor/preact-10.29.8/preact.module.js`);
    assert.equal(vendor.status, 200);
    assert.equal(vendor.headers.get("cache-control"), "public, max-age=31536000, immutable");
    await vendor.body?.cancel();
    const css = await fetch(`${url}/static/style.css`);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    await css.body?.cancel();

    for (
      const path of [
        "/static/..%2f..%2fdeno.json",
        "/static/%2e%2e/deno.json",
        "/static/.env",
        "/static/vendor/preact-10.29.8/LICENSE",
        "/static/missing.js",
        "/static/components",
      ]
    ) {
      const res = await fetch(url + path);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    // A raw request line, which no client library would normalise for us.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(
      new TextEncoder().encode(
        "GET /static/../deno.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      ),
    );
    const raw = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert(!raw.startsWith("HTTP/1.1 200"), raw.slice(0, 200));
    assert(!raw.includes('"nodeModulesDir"'));
  } finally {
    await server.shutdown();
  }
});

Deno.test("scheduleWords() puts every schedule form in words", () => {
  const t = (schedule: unknown, type = "scheduled") => ({
    type,
    schedule,
    createdAt: "2026-11-29T10:00:00.000Z",
    updatedAt: "2026-11-29T10:00:00.000Z",
  });
  assert.equal(scheduleWords(t({ everySeconds: 10 })), "every 10 s");
  assert.equal(scheduleWords(t({ everySeconds: 300 })), "every 5 min");
  assert.equal(scheduleWords(t({ everySeconds: 7200 })), "every 2 h");
  // The start the server fills in (created + n) is not the person's choice: not shown.
  assert.equal(
    scheduleWords(t({ everySeconds: 60, startAt: "2026-11-29T10:01:00.000Z" })),
    "every minute",
  );
  assert.equal(
    scheduleWords(t({ cron: "0 16 * * *", timezone: "Asia/Kolkata" })),
    "at 16:00 Asia/Kolkata daily",
  );
  assert.equal(scheduleWords(t({ cron: "30 9 * * 1-5" })), "at 09:30 UTC on weekdays");
  assert.equal(scheduleWords(t({ cron: "*/15 * * * *" })), "every 15 min");
  assert.equal(scheduleWords(t({ cron: "*/10 * * * * *" })), "every 10 s");
  assert.equal(scheduleWords(t({ cron: "5 4 * 2 0", timezone: "UTC" })), "cron 5 4 * 2 0 (UTC)");
  assert.equal(scheduleWords(t({ cron: "0 * * * *", maxRuns: 3 })), "hourly at :00, max 3 runs");
  assert.match(scheduleWords(t({ at: "2030-01-01T00:00:00.000Z" })), /^once at /);
  assert.equal(scheduleWords(t(null, "api")), "on API call");
});

Deno.test("patchOf() sends only what the form changed", () => {
  const trigger = {
    id: "01J",
    name: "once",
    type: "scheduled",
    schedule: { at: "2020-01-01T00:00:00.123Z" }, // long past: re-sending it would be a 400
    payload: { a: 1 },
    payloadSchema: null,
    webhook: null,
    misfire: "fire_once",
    createdAt: "2019-12-31T00:00:00.000Z",
    updatedAt: "2019-12-31T00:00:00.000Z",
  };
  const original = definitionOf(formState(trigger)).def;
  const renamed = definitionOf({ ...formState(trigger), name: "twice" }).def;
  assert.deepEqual(patchOf(original, renamed), { name: "twice" });
  const repayload = definitionOf({ ...formState(trigger), payload: '{ "a": 2 }' }).def;
  assert.deepEqual(patchOf(original, repayload), { payload: { a: 2 } });
  assert.deepEqual(definitionOf({ ...formState(trigger), payload: "{ nope" }).errors, {
    payload: "Not valid JSON: " + (() => {
      try {
        JSON.parse("{ nope");
      } catch (e) {
        return (e as Error).message;
      }
    })(),
  });
});

Deno.test("placeErrors() puts each problem next to the closest field", () => {
  const err = new ApiError({
    status: 400,
    title: "Invalid request",
    errors: [
      { path: "schedule.cron", message: "Expected 5 fields" },
      { path: "webhook.headers.X-A", message: "Must be a string" },
      { path: "", message: 'Unknown key "colour"' },
    ],
  });
  const placed = placeErrors(err, ["name", "schedule", "schedule.cron", "webhook.headers"]);
  assert.deepEqual(placed.fields, {
    "schedule.cron": "Expected 5 fields",
    "webhook.headers": "Must be a string",
  });
  assert.deepEqual(placed.general, ['Unknown key "colour"']);
  const taken = placeErrors(
    new ApiError({ status: 409, title: "Conflict", detail: "Name taken" }),
    [
      "name",
    ],
  );
  assert.deepEqual(taken.fields, { name: "Name taken" });
});

if (!available) {
  if (required) {
    Deno.test("UI end-to-end tests need Chromium (TOCK_REQUIRE_BROWSER=1)", () => {
      throw new Error(`Chromium not found at ${CHROMIUM_PATH}`);
    });
  } else {
    console.log(`SKIPPED: UI end-to-end tests (Chromium not found at ${CHROMIUM_PATH})`);
    Deno.test({ name: "UI end-to-end tests (Chromium not found)", ignore: true, fn() {} });
  }
} else {
  Deno.test("the UI loads in under 100 KB, from Tock only, without errors", opts, async () => {
    const { server, browser } = await env();
    const context = await browser.newContext({ viewport: DESKTOP });
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    const problems = watchProblems(page);
    const finished: Promise<number>[] = [];
    const urls: string[] = [];
    page.on("requestfinished", (req) => {
      urls.push(req.url());
      finished.push(req.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
    });
    await page.goto(server.url + "/");
    await page.getByRole("heading", { name: /Triggers/ }).waitFor();
    await page.locator(".live-live").waitFor();
    await page.locator("table.triggers, .empty").first().waitFor();
    const total = (await Promise.all(finished)).reduce((a, b) => a + b, 0);
    console.log(`UI transferred ${total} bytes in ${urls.length} requests`);
    assert.ok(total < 100_000, `${total} bytes is over budget`);
    for (const u of urls) assert(u.startsWith(server.url), `request left Tock: ${u}`);
    assertNoProblems(problems);
    await context.close();
  });

  Deno.test(
    "a delaySeconds trigger created in the form fires into the logs view live",
    opts,
    async () => {
      const { server, browser } = await env();
      const { context, page, problems } = await open(browser, server.url + "/#/triggers");
      const name = uniqueName("delay");
      await page.getByRole("button", { name: "New trigger" }).click();
      const dialog = page.getByRole("dialog", { name: "New trigger" });
      await dialog.getByLabel("Name", { exact: true }).fill(name);
      await dialog.getByLabel("Runs", { exact: true }).selectOption("delaySeconds");
      await dialog.getByLabel("Delay (seconds)").fill("2");
      await dialog.getByRole("button", { name: "Create trigger" }).click();
      await dialog.waitFor({ state: "detached" });
      const row = await triggerRow(page, name);
      assert.match(await row.locator(".schedule").innerText(), /^once at /);

      const list = await apiJson(server.url, "GET", "/api/triggers?limit=500");
      const at = Date.parse(
        list.body.items.find((t: { name: string }) => t.name === name).schedule.at,
      );
      await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 42);
      const clickedAt = Date.now();
      await page.getByRole("link", { name: "Logs" }).click();
      await page.getByRole("heading", { name: "Logs", exact: true }).waitFor();
      // `fresh` marks rows that arrived over SSE rather than with the view's first listing. Only
      // a machine too slow to open the view a second before the firing gets the listing instead.
      const live = clickedAt < at - 1000;
      const entry = page.locator(`table.logs tr${live ? ".fresh" : ""}[data-trigger="${name}"]`);
      await entry.waitFor();
      assert.deepEqual(await entry.locator(".badge.source-schedule").innerText(), "schedule");
      assert.match(
        await entry.locator('[data-label="Lateness"]').innerText(),
        /ms late|s late|on time/,
      );
      assert.deepEqual(await entry.locator(".outcome-ok").innerText(), "ok");
      assert.deepEqual(
        await page.evaluate(() => (globalThis as unknown as { marker: number }).marker),
        42,
      );

      // Back on the triggers view the one-time trigger shows as completed with one run.
      await page.getByRole("link", { name: "Triggers" }).click();
      const done = await triggerRow(page, name);
      await done.locator(".badge.status-completed").waitFor();
      assert.deepEqual(await done.locator('[data-label="Runs"]').innerText(), "1");
      assertNoProblems(problems);
      await context.close();
    },
  );

  Deno.test("editing a trigger in the form changes its schedule and name", opts, async () => {
    const { server, browser } = await env();
    const name = uniqueName("edit");
    const created = await apiJson(server.url, "POST", "/api/triggers", {
      name,
      type: "scheduled",
      schedule: { everySeconds: 3600 },
    });
    assert.deepEqual(created.status, 201);
    const { context, page, problems } = await open(browser, server.url + "/");
    await (await triggerRow(page, name)).getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    assert.deepEqual(await dialog.getByLabel("Every (seconds)").inputValue(), "3600");
    await dialog.getByLabel("Name", { exact: true }).fill(`${name}-renamed`);
    await dialog.getByLabel("Every (seconds)").fill("60");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = await triggerRow(page, `${name}-renamed`);
    assert.equal(await row.locator(".schedule").innerText(), "every minute");
    const saved = await apiJson(server.url, "GET", `/api/triggers/${created.body.id}`);
    assert.deepEqual(saved.body.name, `${name}-renamed`);
    assert.deepEqual(saved.body.schedule.everySeconds, 60);
    assertNoProblems(problems);
    await context.close();
  });

  Deno.test("a bad cron expression is shown as an error next to the cron field", opts, async () => {
    const { server, browser } = await env();
    const { context, page, problems } = await open(browser, server.url + "/");
    const name = uniqueName("badcron");
    await page.getByRole("button", { name: "New trigger" }).click();
    const dialog = page.getByRole("dialog", { name: "New trigger" });
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Runs", { exact: true }).selectOption("cron");
    await dialog.getByLabel("Cron expression").fill("61 25 * * *");
    await dialog.getByRole("button", { name: "Create trigger" }).click();
    const error = dialog.locator("#f-cron-error");
    await error.waitFor();
    const text = await error.innerText();
    assert(text.trim().length > 0);
    assert(!text.includes("{"), `raw JSON shown: ${text}`);
    assert.deepEqual(
      await dialog.getByLabel("Cron expression").getAttribute("aria-invalid"),
      "true",
    );
    const list = await apiJson(server.url, "GET", "/api/triggers?limit=500");
    assert(!list.body.items.some((t: { name: string }) => t.name === name));
    assertNoProblems(problems);
    await context.close();
  });

  Deno.test("the form previews the next 5 occurrences while typing", opts, async () => {
    const { server, browser } = await env();
    const { context, page, problems } = await open(browser, server.url + "/");
    await page.getByRole("button", { name: "New trigger" }).click();
    const dialog = page.getByRole("dialog", { name: "New trigger" });
    await dialog.getByLabel("Runs", { exact: true }).selectOption("cron");
    await dialog.getByLabel("Time zone").fill("UTC");
    await dialog.getByLabel("Cron expression").fill("*/5 * * * *");
    const items = dialog.locator(".preview li");
    await eventually(async () => (await items.count()) === 5 ? true : undefined, "5 occurrences");
    const times = await dialog.locator(".preview li time").evaluateAll((els) =>
      els.map((e) => e.getAttribute("datetime"))
    );
    for (const t of times) assert.deepEqual(new Date(t!).getUTCMinutes() % 5, 0);
    assertNoProblems(problems);
    await context.close();
  });

  Deno.test("pause and resume from the table", opts, async () => {
    const { server, browser } = await env();
    const name = uniqueName("pause");
    const created = await apiJson(server.url, "POST", "/api/triggers", {
      name,
      type: "scheduled",
      schedule: { everySeconds: 3600 },
    });
    const { context, page, problems } = await open(browser, server.url + "/");
    const row = await triggerRow(page, name);
    await row.getByRole("button", { name: `Pause ${name}` }).click();
    await row.locator(".badge.status-paused").waitFor();
    assert.deepEqual(
      (await apiJson(server.url, "GET", `/api/triggers/${created.body.id}`)).body.status,
      "paused",
    );
    await row.getByRole("button", { name: `Resume ${name}` }).click();
    await row.locator(".badge.status-active").waitFor();
    assert.deepEqual(
      (await apiJson(server.url, "GET", `/api/triggers/${created.body.id}`)).body.status,
      "active",
    );
    assertNoProblems(problems);
    await context.close();
  });

  Deno.test("delete asks for confirmation first", opts, async () => {
    const { server, browser } = await env();
    const name = uniqueName("delete");
    const created = await apiJson(server.url, "POST", "/api/triggers", {
      name,
      type: "scheduled",
      schedule: { cron: "0 16 * * *", timezone: "Asia/Kolkata" },
    });
    const { context, page, problems } = await open(browser, server.url + "/");
    const row = await triggerRow(page, name);
    assert.deepEqual(await row.locator(".schedule").innerText(), "at 16:00 Asia/Kolkata daily");
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    const confirm = page.getByRole("dialog", { name: `Delete ${name}?` });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    await row.waitFor();
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    await page.getByRole("dialog", { name: `Delete ${name}?` })
      .getByRole("button", { name: "Delete trigger" }).click();
    await row.waitFor({ state: "detached" });
    assert.deepEqual(
      (await apiJson(server.url, "GET", `/api/triggers/${created.body.id}`)).status,
      404,
    );
    assertNoProblems(problems);
    await context.close();
  });

  Deno.test(
    "run now on an api trigger sends the edited payload, schema errors shown",
    opts,
    async () => {
      const { server, browser } = await env();
      const name = uniqueName("api");
      await apiJson(server.url, "POST", "/api/triggers", {
        name,
        type: "api",
        payload: { n: 1 },
        payloadSchema: {
          type: "object",
          required: ["n"],
          properties: { n: { type: "integer" } },
        },
      });
      const { context, page, problems } = await open(browser, server.url + "/");
      const row = await triggerRow(page, name);
      assert.deepEqual(await row.locator(".schedule").innerText(), "on API call");
      await row.getByRole("button", { name: `Run ${name} now` }).click();
      const dialog = page.getByRole("dialog", { name: `Run ${name} now` });
      const payload = dialog.getByLabel("Payload (JSON, optional)");
      await payload.fill("{ not json");
      await dialog.locator("#fire-payload-error").waitFor();
      assert(await dialog.getByRole("button", { name: "Fire" }).isDisabled());
      await payload.fill('{ "n": "forty-two" }');
      await dialog.getByRole("button", { name: "Fire" }).click();
      const schemaError = dialog.locator("#fire-payload-error");
      await schemaError.waitFor();
      assert(!(await schemaError.innerText()).includes("{"));
      await payload.fill('{ "n": 42 }');
      await dialog.getByRole("button", { name: "Fire" }).click();
      await dialog.waitFor({ state: "detached" });
      await page.getByRole("link", { name: "Logs" }).click();
      const entry = page.locator(`table.logs tr[data-trigger="${name}"]`);
      await entry.waitFor();
      assert.deepEqual(await entry.locator(".badge.source-api").innerText(), "api");
      await entry.locator("summary").click();
      assert.deepEqual(JSON.parse(await entry.locator("pre.payload").innerText()), { n: 42 });
      assertNoProblems(problems);
      await context.close();
    },
  );

  Deno.test("test without saving fires once and saves nothing", opts, async () => {
    const { server, browser } = await env();
    const { context, page, problems } = await open(browser, server.url + "/");
    const name = uniqueName("dry");
    await page.getByRole("button", { name: "New trigger" }).click();
    const dialog = page.getByRole("dialog", { name: "New trigger" });
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Every (seconds)").fill("30");
    await dialog.getByLabel("Payload (JSON, optional)").fill('{ "dry": true }');
    await dialog.getByRole("button", { name: "Test without saving" }).click();
    const result = dialog.locator(".test-result");
    await result.waitFor();
    assert.match(await result.innerText(), /Test fired at/);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    const list = await apiJson(server.url, "GET", "/api/triggers?limit=500");
    assert(!list.body.items.some((t: { name: string }) => t.name === name));
    const logs = await apiJson(server.url, "GET", "/api/logs?source=test&limit=500");
    const log = logs.body.items.find((l: { triggerName: string }) => l.triggerName === name);
    assert(log, "the test firing is logged");
    assert.deepEqual(log.test, true);
    assert.deepEqual(log.payload, { dry: true });
    assertNoProblems(problems);
    await context.close();
  });

  Deno.test("a failed webhook delivery can be redelivered from the logs view", opts, async () => {
    const { server, browser } = await env();
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
      const { context, page, problems } = await open(browser, server.url + "/#/logs");
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

  Deno.test(
    "the UI is keyboard operable: open the form with Enter, close it with Escape",
    opts,
    async () => {
      const { server, browser } = await env();
      const { context, page, problems } = await open(browser, server.url + "/");
      await page.getByRole("heading", { name: /Triggers/ }).waitFor();
      const button = page.getByRole("button", { name: "New trigger" });
      await button.focus();
      await page.keyboard.press("Enter");
      const dialog = page.getByRole("dialog", { name: "New trigger" });
      await dialog.waitFor();
      assert.equal(await page.evaluate("document.activeElement.id"), "f-name");
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      assert.equal(await page.evaluate("document.activeElement.textContent"), "New trigger");
      assertNoProblems(problems);
      await context.close();
    },
  );

  Deno.test(
    "with an API key the UI asks once, remembers it, and sends it for SSE too",
    opts,
    async () => {
      const { browser } = await env();
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
        const { context, page, problems } = await open(browser, server.url + "/");
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

  Deno.test("the live stream reconnects after a server restart", opts, async () => {
    const { browser } = await env();
    const first = await startServer();
    const name = uniqueName("restart");
    const created = await apiJson(first.url, "POST", "/api/triggers", { name, type: "api" });
    assert.equal(created.status, 201);
    const { context, page, problems } = await open(browser, first.url + "/#/logs");
    await page.locator(".live-live").waitFor();
    await first.stop();
    await page.locator(".live-offline").waitFor();
    const second = await startServer({ kvPath: first.kvPath, port: first.port });
    try {
      await page.locator(".live-live").waitFor();
      await apiJson(second.url, "POST", `/api/triggers/${created.body.id}/fire`, { after: 1 });
      await page.locator(`table.logs tr.fresh[data-trigger="${name}"]`).waitFor();
      assertNoProblems(problems);
      await context.close();
    } finally {
      await second.stop();
    }
  });

  Deno.test("screenshots of the triggers and logs views, desktop and phone", opts, async () => {
    const { browser } = await env();
    // A server of its own, so the pictures show a tidy, realistic set of triggers, and a
    // webhook receiver that is down, so one delivery shows as failed.
    const server = await startServer();
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
        const { context, page, problems } = await open(
          browser,
          server.url + "/#/triggers",
          viewport,
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
      await server.stop();
    }
  });

  Deno.test("UI end-to-end teardown: close the browser and stop the server", opts, async () => {
    if (!shared) return;
    // A fixture that failed to start has already failed the tests that used it.
    const started = await shared.catch(() => null);
    if (!started) return;
    const { server, browser } = started;
    await browser.close();
    await server.stop();
  });
}
