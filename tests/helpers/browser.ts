import assert from "node:assert/strict";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { type RunningServer, type StartOptions, startServer } from "./server.ts";

/** Where the e2e tests expect Debian's `chromium`; `TOCK_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = Deno.env.get("TOCK_CHROMIUM") ?? "/usr/bin/chromium";

/** Flags for a quiet, offline, CI-friendly headless Chromium. */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** True when the Chromium binary exists (the e2e tests skip, or fail if required, when not). */
export function chromiumAvailable(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

/** Launch headless Chromium with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

/** What went wrong inside a page: uncaught errors, console errors, failed requests. */
export interface PageProblems {
  errors: string[];
}

/**
 * Record a page's uncaught exceptions and console errors so a test can assert there were none.
 * Aborted requests (the SSE stream when a page closes or navigates) are not problems.
 */
export function watchProblems(page: Page): PageProblems {
  const problems: PageProblems = { errors: [] };
  page.on("pageerror", (err) => problems.errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.errors.push(`console: ${msg.text()}`);
  });
  return problems;
}

// ---- The UI browser tests' shared fixture: one server and one Chromium per test file. ----

/** Generous: the machine is shared, and every wait is on a condition, never a clock window. */
export const UI_TIMEOUT = 15_000;
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** What each browser test step gets: the running server, the browser, and page helpers. */
export interface BrowserEnv {
  server: RunningServer;
  browser: Browser;
}

/**
 * Registers one Deno.test for a file of browser scenarios (each a `t.step`): the server and
 * Chromium start inside it and are closed in `finally`. Without Chromium the test is skipped
 * with a SKIPPED line, or fails when TOCK_REQUIRE_BROWSER=1.
 */
export function browserTest(
  name: string,
  fn: (t: Deno.TestContext, env: BrowserEnv) => Promise<void>,
  serverOptions: StartOptions = {},
): void {
  if (!chromiumAvailable()) {
    if (Deno.env.get("TOCK_REQUIRE_BROWSER") === "1") {
      Deno.test(`${name} (needs Chromium: TOCK_REQUIRE_BROWSER=1)`, () => {
        throw new Error(`Chromium not found at ${CHROMIUM_PATH}`);
      });
    } else {
      console.log(`SKIPPED: ${name} (Chromium not found at ${CHROMIUM_PATH})`);
      Deno.test({ name: `${name} (Chromium not found)`, ignore: true, fn() {} });
    }
    return;
  }
  Deno.test({
    name,
    // Playwright keeps its pipes open between calls; the finally below closes them.
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const server = await startServer(serverOptions);
      let browser: Browser | null = null;
      try {
        browser = await launchBrowser();
        await fn(t, { server, browser });
      } finally {
        await browser?.close();
        await server.stop();
      }
    },
  });
}

/**
 * A fresh browser context (own localStorage) with one page, watched for errors. `bypassCSP`
 * lets a test inject a script (axe-core) past the UI's strict Content-Security-Policy.
 */
export async function openPage(
  browser: Browser,
  url: string,
  { viewport = DESKTOP, bypassCSP = false }: { viewport?: typeof DESKTOP; bypassCSP?: boolean } =
    {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport, colorScheme: "light", bypassCSP });
  context.setDefaultTimeout(UI_TIMEOUT);
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(url);
  return { context, page, problems };
}

/** Uncaught errors and console errors, except the browser's own note on each non-2xx fetch. */
export function assertNoProblems(problems: PageProblems): void {
  const real = problems.errors.filter((e) => !e.includes("Failed to load resource"));
  assert.deepEqual(real, []);
}

/** A JSON request to the API, for arranging and checking what the UI did. */
export async function apiJson(
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

/** A name no other scenario uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Poll `check` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
): Promise<T> {
  const deadline = Date.now() + UI_TIMEOUT;
  let delay = 50;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** The triggers table's row for `name`, once it is shown. */
export async function triggerRow(page: Page, name: string) {
  const row = page.locator(`table.triggers tr[data-trigger="${name}"]`);
  await row.waitFor();
  return row;
}
