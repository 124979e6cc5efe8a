/**
 * The UI at scale, in Chromium (the browser-side part of issue 14's benchmark). Beside an empty
 * store (the same-run baseline) it builds a store of `--triggers` triggers (default 100,000)
 * and as many log entries as its db functions write in `--log-seconds` (default 120), then:
 *
 * - first render of each view (Triggers, a trigger's page, Logs): navigation start to the
 *   view's `tock:<view>:ready` performance mark (static/perf.js), median of `--runs` cold loads
 * - bytes over the wire for a cold load and a warm reload of the Triggers view (CDP
 *   `encodedDataLength`), and how many answers of the warm reload were 304
 * (Contexts bypass the UI's CSP only so the bench may evaluate its probes in the page.)
 * - page JS heap (CDP `Runtime.getHeapUsage` after a forced GC) of a Logs tab before and after
 *   `--live` firings (default 10,000) fired through the API with concurrency; target <= 100 MB
 *
 *   deno run -A bench/ui_bench.ts [--triggers 100000] [--log-seconds 120] [--live 10000]
 */
import { parseArgs } from "node:util";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../tests/helpers/browser.ts";
import { type Running, startTock } from "./fire_servers.ts";
import { printTable } from "./fire_table.ts";
import { buildStore } from "./ui_store.ts";

const VIEWS = ["triggers", "trigger", "logs"] as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** ms from navigation start to the view's ready mark, on a cold page (own context). */
async function firstRender(browser: Browser, url: string, view: string): Promise<number> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    bypassCSP: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(url);
  const mark = `tock:${view}:ready`;
  await page.waitForFunction(`performance.getEntriesByName(${JSON.stringify(mark)}).length > 0`);
  const ms = await page.evaluate<number>(
    `performance.getEntriesByName(${JSON.stringify(mark)})[0].startTime`,
  );
  await context.close();
  return ms;
}

/** Bytes (encoded, headers included) of a cold load and a warm reload, and the warm 304s. */
async function transfer(browser: Browser, url: string) {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  let requests = 0;
  let notModified = 0;
  let lastEvent = performance.now();
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    requests++;
    lastEvent = performance.now();
  });
  cdp.on("Network.requestWillBeSent", () => void (lastEvent = performance.now()));
  cdp.on("Network.responseReceived", (e) => {
    if (e.response.status === 304) notModified++;
  });
  const settle = async () => {
    await page.waitForFunction(`performance.getEntriesByName("tock:triggers:ready").length > 0`);
    // Quiet for a second: every request of the load has finished (the SSE stream never does,
    // so Playwright's "networkidle" is no use here).
    while (performance.now() - lastEvent < 1000) await new Promise((r) => setTimeout(r, 100));
  };
  await page.goto(url);
  await settle();
  const cold = { bytes, requests };
  bytes = requests = notModified = 0;
  await page.reload();
  await settle();
  const warm = { bytes, requests, notModified };
  await context.close();
  return { cold, warm };
}

/** Fire `n` firings of one trigger through the API, `width` requests in flight. */
async function fireMany(base: string, id: string, n: number, width = 16): Promise<string> {
  let next = 0;
  let last = "";
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${base}/api/triggers/${id}/fire`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ i }),
      });
      const body = await res.json();
      if (res.status !== 202) throw new Error(`fire answered ${res.status}`);
      if (body.id > last) last = body.id;
    }
  }));
  return last;
}

/** Heap of a Logs tab before and after `live` firings arrive over SSE, after a forced GC. */
async function liveHeap(browser: Browser, base: string, live: number) {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(600_000);
  const cdp = await context.newCDPSession(page);
  const heap = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    const h = await cdp.send("Runtime.getHeapUsage");
    return h.usedSize / 1024 / 1024;
  };
  const created = await fetch(`${base}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: `ui-bench-live-${crypto.randomUUID().slice(0, 8)}`, type: "api" }),
  }).then((r) => r.json());
  await page.goto(`${base}/#/logs`);
  await page.waitForFunction(`performance.getEntriesByName("tock:logs:ready").length > 0`);
  await page.locator(".live-live").waitFor();
  await page.evaluate(`(() => {
    window.__seen = new Set();
    new MutationObserver((rs) => { for (const r of rs) for (const n of r.addedNodes)
      if (n.nodeType === 1 && n.dataset && n.dataset.log) window.__seen.add(n.dataset.log); })
      .observe(document.getElementById("logs-panel"), { childList: true, subtree: true });
  })()`);
  const before = await heap();
  const t0 = performance.now();
  const last = await fireMany(base, created.id, live);
  await page.waitForFunction(`window.__seen.has(${JSON.stringify(last)})`, undefined, {
    polling: 500,
  });
  const seconds = (performance.now() - t0) / 1000;
  const after = await heap();
  const rows = await page.locator("table.logs tbody tr").count();
  const nodes = await page.evaluate<number>("document.getElementsByTagName('*').length");
  await context.close();
  return { before, after, rows, nodes, seconds };
}

async function measure(
  browser: Browser,
  server: Running,
  sampleId: string,
  runs: number,
  live: number,
) {
  const urls: Record<(typeof VIEWS)[number], string> = {
    triggers: `${server.url}/#/triggers`,
    trigger: `${server.url}/#/triggers/${sampleId}`,
    logs: `${server.url}/#/logs`,
  };
  const render: Record<string, number> = {};
  console.log(`  ${server.url}: first render of each view…`);
  for (const v of VIEWS) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await firstRender(browser, urls[v], v));
    render[v] = median(times);
  }
  console.log("  cold and warm load…");
  const bytes = await transfer(browser, urls.triggers);
  console.log(`  ${live} live firings on the Logs tab…`);
  const heap = await liveHeap(browser, server.url, live);
  return { render, bytes, heap };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      triggers: { type: "string", default: "100000" },
      "log-seconds": { type: "string", default: "120" },
      live: { type: "string", default: "10000" },
      runs: { type: "string", default: "3" },
    },
  });
  const count = Number(values.triggers);
  const live = Number(values.live);
  const runs = Number(values.runs);
  const dir = await Deno.makeTempDir({ prefix: "tock-ui-bench-" });
  let browser: Browser | null = null;
  try {
    // The baseline: an empty store (one api trigger for the trigger page).
    const emptyPath = `${dir}/empty.kv`;
    const empty = await buildStore(emptyPath, 1, 0);
    console.log(`building ${count} triggers and ${values["log-seconds"]} s of log entries…`);
    const bigPath = `${dir}/big.kv`;
    const big = await buildStore(bigPath, count, Number(values["log-seconds"]));
    console.log(
      `store: ${big.triggers} triggers, ${big.logs} log entries in ${
        big.buildSeconds.toFixed(0)
      } s`,
    );
    const results = [];
    for (
      const [label, info, path] of [["empty", empty, emptyPath], ["big", big, bigPath]] as const
    ) {
      const server = await startTock(path);
      // A browser per server: one browser across two servers was closed under the second.
      browser = await launchBrowser();
      try {
        results.push({
          label,
          info,
          ...(await measure(browser, server, info.sampleId, runs, live)),
        });
      } finally {
        await browser.close();
        browser = null;
        await server.stop();
      }
    }
    const f = (n: number, d = 0) => n.toFixed(d);
    printTable(
      [
        "store",
        "triggers",
        "logs",
        ...VIEWS.map((v) => `${v} ms`),
        "cold KB",
        "warm KB",
        "warm 304s",
        "heap MB before",
        `heap MB after ${live}`,
        "rows",
        "DOM nodes",
        "live s",
      ],
      results.map((r) => [
        r.label,
        String(r.info.triggers),
        String(r.info.logs),
        ...VIEWS.map((v) => f(r.render[v])),
        f(r.bytes.cold.bytes / 1024, 1),
        f(r.bytes.warm.bytes / 1024, 1),
        `${r.bytes.warm.notModified}/${r.bytes.warm.requests}`,
        f(r.heap.before, 1),
        f(r.heap.after, 1),
        String(r.heap.rows),
        String(r.heap.nodes),
        f(r.heap.seconds, 1),
      ]),
    );
  } finally {
    await browser?.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
