/**
 * Per-trigger metrics (issue 17): valid Prometheus text with escaped label values, series for
 * at most --metrics-trigger-limit triggers and a count of the rest. Real server.
 */
import assert from "node:assert/strict";
import { startServer, waitFor } from "./helpers/server.ts";
import { receiver } from "./webhook_helpers.ts";

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;

/** Parses Prometheus text format 0.0.4, failing on any line that is not a comment or sample. */
function parse(text: string): { name: string; labels: string; value: number }[] {
  const out: { name: string; labels: string; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || /^# (HELP|TYPE) /.test(line)) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a Prometheus sample: ${line}`);
    out.push({ name: m[1], labels: m[2] ?? "", value: Number(m[3]) });
  }
  return out;
}

Deno.test("per-trigger metrics parse as Prometheus text and stop at the cap", async () => {
  const failing = receiver(() => new Response("no", { status: 503 }));
  const srv = await startServer({ args: ["--metrics-trigger-limit", "3"] });
  try {
    const names = ['we"ird\\name', "b", "c", "d", "e"];
    for (const [i, name] of names.entries()) {
      const res = await fetch(`${srv.url}/api/triggers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name,
          type: "api",
          ...(i === 1 ? { webhook: { url: failing.url, retries: 0 } } : {}),
        }),
      });
      const t = await res.json();
      assert.equal(res.status, 201, JSON.stringify(t));
      const fired = await fetch(`${srv.url}/api/triggers/${t.id}/fire`, { method: "POST" });
      assert.equal(fired.status, 202);
      await fired.body?.cancel();
    }
    const samples = await waitFor(
      async () => {
        const text = await (await fetch(`${srv.url}/metrics`)).text();
        const s = parse(text);
        return s.some((x) => x.name === "tock_trigger_delivery_failures_total") ? s : null;
      },
      15_000,
      "the delivery failure",
    );
    const lastFired = samples.filter((s) => s.name === "tock_trigger_last_fired_timestamp_seconds");
    assert.deepEqual(lastFired.map((s) => s.labels), [
      '{trigger="we\\"ird\\\\name"}',
      '{trigger="b"}',
      '{trigger="c"}',
    ]);
    for (const s of lastFired) assert.ok(s.value > 1.7e9 && s.value < 1e11);
    const failures = samples.filter((s) => s.name === "tock_trigger_delivery_failures_total");
    assert.deepEqual(failures.map((s) => [s.labels, s.value]), [['{trigger="b"}', 1]]);
    const dropped = samples.find((s) => s.name === "tock_trigger_series_dropped");
    assert.equal(dropped?.value, 2);
  } finally {
    await srv.stop();
    await failing.close();
  }
});
