/**
 * What open event streams cost a firing: the real server (main.ts) with `--streams` readers on
 * `GET /api/events`, each reading everything, while `--firings` on-demand firings go in 50 at a
 * time. Reports firings/s, the server's CPU per firing (utime + stime from /proc, JS and KV
 * threads together) and when every stream had every firing, beside the same run with no
 * stream open. Each firing's event is built once for all streams (routes/events.ts).
 *
 *   deno run -A bench/events_fanout.ts [--streams 200] [--firings 5000] [--rounds 3]
 */
import { parseArgs } from "node:util";
import { startServer } from "../tests/helpers/server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    streams: { type: "string", default: "200" },
    firings: { type: "string", default: "5000" },
    rounds: { type: "string", default: "3" },
  },
});
const STREAMS = Number(values.streams);
const FIRINGS = Number(values.firings);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = 50;

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

const MARKER = "event: fired\n";

/** A reader that counts `fired` events and resolves when it has seen `want` of them. */
async function openStream(url: string, want: number, stop: AbortSignal) {
  const res = await fetch(url, { signal: stop });
  if (res.status !== 200) throw new Error(`events answered ${res.status}`);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let seen = 0;
  let tail = "";
  const done = (async () => {
    try {
      while (seen < want) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended early");
        const text = tail + dec.decode(value, { stream: true });
        seen += text.split(MARKER).length - 1;
        // A marker cut across chunks is completed by the next one; what is kept is too short
        // to hold a whole marker, so none is counted twice.
        tail = text.slice(-(MARKER.length - 1));
      }
      return performance.now();
    } finally {
      reader.cancel().catch(() => {});
    }
  })();
  return { done };
}

async function round(streams: number) {
  const srv = await startServer({ args: ["--log-format", "off"] });
  try {
    const post = (path: string, body: unknown) =>
      fetch(srv.url + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const created = await (await post("/api/triggers", { name: "fanout", type: "api" })).json();
    const stop = new AbortController();
    const readers = await Promise.all(
      Array.from(
        { length: streams },
        () => openStream(`${srv.url}/api/events`, FIRINGS, stop.signal),
      ),
    );
    // Warm-up outside the count (the readers expect exactly FIRINGS, so none here).
    const pid = srv.proc.pid;
    const ticks0 = cpuTicks(pid);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < FIRINGS) {
        next++;
        const res = await post(`/api/triggers/${created.id}/fire`, { n: next });
        if (res.status !== 202) throw new Error(`fire answered ${res.status}`);
        await res.body?.cancel();
      }
    }));
    const firedMs = performance.now() - t0;
    const ends = await Promise.all(readers.map((r) => r.done));
    const allMs = (ends.length ? Math.max(...ends) : performance.now()) - t0;
    const ticks = cpuTicks(pid) - ticks0;
    stop.abort();
    return {
      streams,
      firingsPerSec: Math.round(FIRINGS / (firedMs / 1000)),
      cpuUsPerFiring: Math.round((ticks * 10_000) / FIRINGS),
      everyStreamHadEveryFiringMs: Math.round(allMs),
    };
  } finally {
    await srv.stop();
  }
}

const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  rows.push(await round(0));
  rows.push(await round(STREAMS));
}
console.log(JSON.stringify({ firings: FIRINGS, streams: STREAMS, rows }, null, 2));
