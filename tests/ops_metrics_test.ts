/** `/metrics` in Prometheus text format, its counters after firings, and `/healthz` on a dead KV. */
import assert from "node:assert/strict";
import { ManualClock } from "../core/clock.ts";
import { Metrics } from "../core/metrics.ts";
import { Registry } from "../core/metrics_registry.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict parser of the text exposition format 0.0.4: every sample belongs to a family
 * declared by `# TYPE` before it, names and labels are well formed, values are numbers, and
 * histograms have cumulative buckets ending in `+Inf` equal to `_count`.
 */
function parseProm(text: string): { types: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
      assert.ok(m, `bad HELP: ${line}`);
      assert.ok(!helps.has(m[1]), `duplicate HELP ${m[1]}`);
      helps.add(m[1]);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)
        .exec(line);
      assert.ok(m, `bad TYPE: ${line}`);
      assert.ok(!types.has(m[1]), `duplicate TYPE ${m[1]}`);
      types.set(m[1], m[2]);
      continue;
    }
    assert.ok(!line.startsWith("#") && line !== "", `unexpected line: ${JSON.stringify(line)}`);
    const m = sampleRe.exec(line);
    assert.ok(m, `bad sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      labelRe.lastIndex = 0;
      while (labelRe.lastIndex < m[2].length) {
        const l = labelRe.exec(m[2]);
        assert.ok(l, `bad labels: ${line}`);
        labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
      }
    }
    const value = m[3] === "+Inf" ? Infinity : Number(m[3]);
    assert.ok(!Number.isNaN(value), `bad value: ${line}`);
    const family = [...types.keys()].find((f) =>
      m[1] === f ||
      (types.get(f) === "histogram" && /^_(bucket|sum|count)$/.test(m[1].slice(f.length)) &&
        m[1].startsWith(f))
    );
    assert.ok(family, `sample before its TYPE: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  // Histogram invariants.
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const les = buckets.map((b) => b.labels.le === "+Inf" ? Infinity : Number(b.labels.le));
      assert.deepEqual(les, [...les].sort((a, b) => a - b), `${family} le order`);
      assert.equal(les.at(-1), Infinity, `${family} ends with +Inf`);
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(buckets[i].value >= buckets[i - 1].value, `${family} buckets cumulative`);
      }
      const count = samples.find((s) =>
        s.name === `${family}_count` && JSON.stringify(s.labels) === key
      );
      assert.equal(count?.value, buckets.at(-1)!.value, `${family} +Inf == _count`);
    }
  }
  return { types, samples };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hit = samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
    Object.keys(s.labels).length === Object.keys(labels).length
  );
  return hit?.value ?? 0;
}

Deno.test("Registry renders counters, gauges and histograms in the text format", async () => {
  const r = new Registry();
  const c = r.counter("x_total", "Things", ["kind"]);
  const g = r.gauge("x_level", "Level");
  const h = r.histogram("x_seconds", "Time", ["op"], [0.1, 1]);
  c.inc({ kind: 'a"b\\c\nd' });
  c.inc({ kind: 'a"b\\c\nd' }, 2);
  g.set({}, 7.5);
  h.observe({ op: "get" }, 0.05);
  h.observe({ op: "get" }, 0.5);
  h.observe({ op: "get" }, 3);
  const text = await r.render();
  assert.equal(
    text,
    [
      "# HELP x_total Things",
      "# TYPE x_total counter",
      'x_total{kind="a\\"b\\\\c\\nd"} 3',
      "# HELP x_level Level",
      "# TYPE x_level gauge",
      "x_level 7.5",
      "# HELP x_seconds Time",
      "# TYPE x_seconds histogram",
      'x_seconds_bucket{op="get",le="0.1"} 1',
      'x_seconds_bucket{op="get",le="1"} 2',
      'x_seconds_bucket{op="get",le="+Inf"} 3',
      'x_seconds_sum{op="get"} 3.55',
      'x_seconds_count{op="get"} 3',
      "",
    ].join("\n"),
  );
  const parsed = parseProm(text);
  assert.equal(value(parsed.samples, "x_total", { kind: 'a"b\\c\nd' }), 3);
});

Deno.test("GET /metrics parses as Prometheus text and counts on-demand firings and requests", async () => {
  await using t = await testApp();
  const before = parseProm((await t.call("GET", "/metrics")).body);
  assert.equal(value(before.samples, "tock_firings_total", { source: "api", outcome: "ok" }), 0);
  for (
    const family of [
      "tock_firings_total",
      "tock_firing_lateness_seconds",
      "tock_webhook_deliveries_total",
      "tock_http_requests_total",
      "tock_http_request_duration_seconds",
      "tock_triggers",
      "tock_due_overdue",
      "tock_webhook_deliveries_pending",
    ]
  ) assert.ok(before.types.has(family), family);

  const created = await t.call("POST", "/api/triggers", { name: uniqueName(), type: "api" });
  assert.equal(created.status, 201);
  for (let i = 0; i < 3; i++) {
    assert.equal((await t.call("POST", `/api/triggers/${created.body.id}/fire`, {})).status, 202);
  }
  assert.equal((await t.call("POST", "/api/test", { type: "api" })).status, 200);
  assert.equal((await t.call("GET", "/api/triggers/nope")).status, 404);

  const res = await t.call("GET", "/metrics");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const { samples } = parseProm(res.body);
  assert.equal(value(samples, "tock_firings_total", { source: "api", outcome: "ok" }), 3);
  assert.equal(value(samples, "tock_firings_total", { source: "test", outcome: "ok" }), 1);
  const req = (method: string, route: string, status: string) =>
    value(samples, "tock_http_requests_total", { method, route, status });
  assert.equal(req("POST", "/api/triggers", "201"), 1);
  assert.equal(req("POST", "/api/triggers/:id/fire", "202"), 3);
  assert.equal(req("GET", "/api/triggers/:id", "404"), 1);
  assert.equal(req("GET", "/metrics", "200"), 1);
  assert.equal(
    value(samples, "tock_http_request_duration_seconds_count", {
      method: "POST",
      route: "/api/triggers/:id/fire",
    }),
    3,
  );
});

Deno.test("methods a client makes up count as one OTHER series, never one series each", async () => {
  await using t = await testApp();
  for (const method of ["XYZZY1", "XYZZY2", "PROPFIND"]) {
    const res = await t.app.request("/api/triggers", { method });
    await res.body?.cancel();
  }
  const { samples } = parseProm((await t.call("GET", "/metrics")).body);
  const methods = new Set(
    samples.filter((s) => s.name === "tock_http_requests_total").map((s) => s.labels.method),
  );
  assert.ok(methods.has("OTHER"));
  assert.ok([...methods].every((m) => !/XYZZY|PROPFIND/.test(m)), [...methods].join());
  const other = samples.filter((s) =>
    s.name === "tock_http_requests_total" && s.labels.method === "OTHER"
  ).reduce((n, s) => n + s.value, 0);
  assert.equal(other, 3);
});

Deno.test("tock_triggers counts by status and tock_due_overdue counts occurrences over a second late", async () => {
  const clock = new ManualClock(Date.parse("2026-11-29T10:00:00.000Z"));
  await using t = await testApp({ clock });
  for (let i = 0; i < 2; i++) {
    const res = await t.call("POST", "/api/triggers", {
      name: uniqueName(),
      schedule: { delaySeconds: 60 },
    });
    assert.equal(res.status, 201);
  }
  // No scheduler runs in this test: move time past both occurrences.
  clock.set(Date.parse("2026-11-29T10:01:00.500Z"));
  let { samples } = parseProm((await t.call("GET", "/metrics")).body);
  assert.equal(value(samples, "tock_due_overdue"), 0);
  assert.equal(value(samples, "tock_triggers", { status: "active" }), 2);
  assert.equal(value(samples, "tock_triggers", { status: "paused" }), 0);
  assert.equal(value(samples, "tock_triggers", { status: "completed" }), 0);
  clock.set(Date.parse("2026-11-29T10:01:01.500Z"));
  ({ samples } = parseProm((await t.call("GET", "/metrics")).body));
  assert.equal(value(samples, "tock_due_overdue"), 2);
});

Deno.test("Metrics.delivery() and setDeliveryBacklog() feed the webhook series", async () => {
  const m = new Metrics();
  m.delivery("ok", 1, 12);
  m.delivery("ok", 3, 40);
  m.delivery("failed", 4);
  m.setDeliveryBacklog(() => Promise.resolve(5));
  const { samples } = parseProm(await m.registry.render());
  assert.equal(value(samples, "tock_webhook_deliveries_total", { outcome: "ok" }), 2);
  assert.equal(value(samples, "tock_webhook_deliveries_total", { outcome: "failed" }), 1);
  assert.equal(value(samples, "tock_webhook_delivery_attempts_count"), 3);
  assert.equal(value(samples, "tock_webhook_delivery_attempts_sum"), 8);
  assert.equal(value(samples, "tock_webhook_delivery_attempts_bucket", { le: "1" }), 1);
  assert.equal(value(samples, "tock_webhook_delivery_duration_seconds_count"), 2);
  assert.equal(value(samples, "tock_webhook_deliveries_pending"), 5);
});

Deno.test("/healthz is 503 and /metrics still answers when KV is closed", async () => {
  const t = await testApp(); // not disposed: the test closes its KV
  assert.equal((await t.call("GET", "/healthz")).status, 200);
  t.kv.close();
  // The write probe runs at most once a second: the closed store shows within that.
  const health = await waitFor(
    async () => {
      const res = await t.call("GET", "/healthz");
      return res.status === 503 ? res : null;
    },
    10_000,
    "/healthz 503",
  );
  assert.equal(health.status, 503);
  assert.equal(health.body.ok, false);
  assert.equal(health.body.kv.ok, false);
  assert.equal(typeof health.body.kv.error, "string");
  const metrics = await t.call("GET", "/metrics");
  assert.equal(metrics.status, 200);
  parseProm(metrics.body);
});

Deno.test("the real server's /metrics moves after a scheduled firing", async () => {
  const server = await startServer({ args: ["--api-key", "metrics-key"] });
  const auth = { Authorization: "Bearer metrics-key" };
  try {
    const scrape = async () => {
      const res = await fetch(`${server.url}/metrics`, { headers: auth });
      assert.equal(res.status, 200);
      return parseProm(await res.text()).samples;
    };
    const before = await scrape();
    assert.equal(value(before, "tock_firings_total", { source: "schedule", outcome: "ok" }), 0);
    assert.equal(value(before, "tock_firing_lateness_seconds_count"), 0);

    const name = uniqueName("metrics");
    const created = await fetch(`${server.url}/api/triggers`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name, schedule: { delaySeconds: 0.3 } }),
    });
    assert.equal(created.status, 201);
    await created.body?.cancel();
    await waitFor(
      async () => {
        const res = await fetch(`${server.url}/api/logs?trigger=${name}`, { headers: auth });
        return (await res.json()).items.length === 1;
      },
      20_000,
      "the firing",
    );

    const after = await scrape();
    assert.equal(value(after, "tock_firings_total", { source: "schedule", outcome: "ok" }), 1);
    assert.equal(value(after, "tock_firing_lateness_seconds_count"), 1);
    // A count that took long is reused for a while (see routes/metrics.ts): poll for it.
    await waitFor(
      async () => value(await scrape(), "tock_triggers", { status: "completed" }) === 1,
      20_000,
      "the completed trigger to be counted",
    );
    assert.equal(
      value(after, "tock_http_requests_total", {
        method: "POST",
        route: "/api/triggers",
        status: "201",
      }),
      1,
    );
    assert.ok(value(after, "process_resident_memory_bytes") > 1_000_000);
  } finally {
    await server.stop();
  }
});

Deno.test("webhook deliveries show in /metrics once the series ends", async () => {
  const received = Promise.withResolvers<void>();
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    received.resolve();
    return new Response("ok");
  });
  const server = await startServer();
  try {
    const created = await fetch(`${server.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: uniqueName("hook"),
        type: "api",
        webhook: { url: `http://127.0.0.1:${receiver.addr.port}/hook`, retries: 0 },
      }),
    });
    assert.equal(created.status, 201);
    const { id } = await created.json();
    const fired = await fetch(`${server.url}/api/triggers/${id}/fire`, { method: "POST" });
    assert.equal(fired.status, 202);
    assert.equal((await fired.json()).outcome, "pending");
    await received.promise;
    const samples = await waitFor(
      async () => {
        const s = parseProm(await (await fetch(`${server.url}/metrics`)).text()).samples;
        return value(s, "tock_webhook_deliveries_total", { outcome: "ok" }) === 1 ? s : null;
      },
      20_000,
      "the delivery to be counted",
    );
    assert.equal(value(samples, "tock_firings_total", { source: "api", outcome: "pending" }), 1);
    assert.equal(value(samples, "tock_webhook_delivery_attempts_count"), 1);
    assert.equal(value(samples, "tock_webhook_delivery_attempts_bucket", { le: "1" }), 1);
    assert.equal(value(samples, "tock_webhook_deliveries_pending"), 0);
  } finally {
    await server.stop();
    await receiver.shutdown();
  }
});
