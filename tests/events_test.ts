/**
 * GET /api/events over a real HTTP server (Deno.serve on port 0) read as a stream, the way an
 * EventSource does: live `fired` events, heartbeats, a reconnect with Last-Event-ID that gets
 * exactly what was missed, and no gap or duplicate at the seam while firings keep coming.
 */
import assert from "node:assert/strict";
import { createApp } from "../http/app.ts";
import { startServer, waitFor } from "./helpers/server.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import type { Config } from "../core/config.ts";

interface Frame {
  comment?: string;
  event?: string;
  id?: string;
  data?: string;
  retry?: string;
  at: number;
}

/** A streaming SSE reader (WHATWG parsing rules) that keeps comments, for the heartbeat check. */
class SseReader {
  frames: Frame[] = [];
  #abort = new AbortController();
  #wake: (() => void) | null = null;
  ended = false;
  status = 0;
  contentType = "";

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const r = new SseReader();
    const res = await fetch(url, { headers, signal: r.#abort.signal });
    r.status = res.status;
    r.contentType = res.headers.get("content-type") ?? "";
    void r.#pump(res.body!);
    return r;
  }

  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;

  async #pump(body: ReadableStream<Uint8Array>) {
    let buf = "";
    let cur: Frame = { at: 0 };
    const dec = new TextDecoder();
    this.#reader = body.getReader();
    try {
      for (;;) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) !== -1) {
          const line = buf.slice(0, nl).replace(/\r$/, "");
          buf = buf.slice(nl + 1);
          const now = Date.now();
          if (line === "") {
            if (cur.data !== undefined) this.frames.push({ ...cur, at: now });
            cur = { at: 0 };
          } else if (line.startsWith(":")) {
            this.frames.push({ comment: line.slice(1).trim(), at: now });
          } else {
            const i = line.indexOf(":");
            const field = i === -1 ? line : line.slice(0, i);
            const value = i === -1 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (field === "data") {
              cur.data = cur.data === undefined ? value : cur.data + "\n" + value;
            } else if (field === "event" || field === "id" || field === "retry") cur[field] = value;
          }
          this.#wake?.();
        }
      }
    } catch { /* aborted */ }
    this.ended = true;
    this.#wake?.();
  }

  /** The `fired` events so far. */
  fired(): { id: string; data: Record<string, unknown>; at: number }[] {
    return this.frames.filter((f) => f.event === "fired").map((f) => ({
      id: f.id!,
      data: JSON.parse(f.data!),
      at: f.at,
    }));
  }

  /** Waits until `check()` holds, failing after a generous deadline. */
  async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.ended) throw new Error(`stream ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.#wake = r;
        setTimeout(r, Math.min(left, 200));
      });
    }
  }

  /** Disconnects: cancels the body (which closes the connection) and aborts the fetch. */
  close() {
    this.#reader?.cancel().catch(() => {});
    this.#abort.abort();
  }
}

async function serveApp(heartbeatMs = 300, replayMax?: number, config?: Partial<Config>) {
  const t = await testApp({ config });
  // Count the stream's live bus subscriptions, to see that a disconnect releases them.
  const bus = t.deps.bus;
  const subscribe = bus.subscribe.bind(bus);
  let subscribers = 0;
  bus.subscribe = (fn) => {
    subscribers++;
    const off = subscribe(fn);
    return () => {
      subscribers--;
      return off();
    };
  };
  const stop = new AbortController();
  const app = createApp(t.deps, {
    eventsHeartbeatMs: heartbeatMs,
    eventsReplayMax: replayMax,
    shutdown: stop.signal,
  });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    t,
    base,
    subscribers: () => subscribers,
    async fire(triggerId: string, payload: unknown = null) {
      const res = await fetch(`${base}/api/triggers/${triggerId}/fire`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      });
      assert.equal(res.status, 202);
      return await res.json();
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await server.shutdown();
      await t[Symbol.asyncDispose]();
    },
  };
}

Deno.test("GET /api/events streams each firing as a fired event, live, with heartbeats", async () => {
  await using s = await serveApp(300);
  const trig = await s.t.call("POST", "/api/triggers", { name: uniqueName("sse"), type: "api" });
  const sse = await SseReader.open(`${s.base}/api/events`);
  try {
    assert.equal(sse.status, 200);
    assert.match(sse.contentType, /^text\/event-stream/);
    await sse.until(() => sse.frames.some((f) => f.comment === "connected"), "connected");
    const logs = [];
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const sent = Date.now();
      const log = await s.fire(trig.body.id, { i });
      logs.push(log);
      await sse.until(() => sse.fired().some((e) => e.id === log.id), `event ${i}`);
      latencies.push(sse.fired().find((e) => e.id === log.id)!.at - sent);
    }
    const got = sse.fired();
    assert.deepEqual(got.map((e) => e.id), logs.map((l) => l.id));
    assert.deepEqual(got.map((e) => e.data), logs); // the log entry, state included
    assert.equal(got[0].data.state, "active");
    console.log(`fire request -> event received: ${latencies.join(", ")} ms`);
    await sse.until(
      () => sse.frames.filter((f) => f.comment === "heartbeat").length >= 2,
      "two heartbeats",
    );
    assert.equal(s.subscribers(), 1);
  } finally {
    sse.close();
  }
  await waitFor(() => s.subscribers() === 0, 10_000, "the disconnect to unsubscribe");
});

Deno.test("at most --max-event-streams are open at once: one more is a 503 until one ends", async () => {
  await using s = await serveApp(300, undefined, { maxEventStreams: 2 });
  const trig = await s.t.call("POST", "/api/triggers", { name: uniqueName("cap"), type: "api" });
  const open = [await SseReader.open(`${s.base}/api/events`)];
  open.push(await SseReader.open(`${s.base}/api/events`));
  try {
    for (const r of open) {
      assert.equal(r.status, 200);
      await r.until(() => r.frames.some((f) => f.comment === "connected"), "connected");
    }
    const res = await fetch(`${s.base}/api/events`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "2");
    assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/);
    assert.match((await res.json()).detail, /^Too many event streams: 2 are open/);
    // Both open streams get each firing, as the one frame.
    const log = await s.fire(trig.body.id, { n: 1 });
    for (const r of open) await r.until(() => r.fired().some((e) => e.id === log.id), "the firing");
    assert.deepEqual(open[0].fired()[0].data, open[1].fired()[0].data);
    // A stream that ends gives its place back, once the server has seen the disconnect.
    open.shift()!.close();
    const next = await waitFor(
      async () => {
        const r = await SseReader.open(`${s.base}/api/events`);
        if (r.status === 200) return r;
        r.close();
        return null;
      },
      10_000,
      "a place after a disconnect",
    );
    open.push(next);
    assert.equal((await fetch(`${s.base}/api/events`)).status, 503);
  } finally {
    for (const r of open) r.close();
  }
  await waitFor(() => s.subscribers() === 0, 10_000, "every stream to unsubscribe");
});

Deno.test("a reconnect with Last-Event-ID gets exactly the missed entries, then live ones", async () => {
  await using s = await serveApp();
  const trig = await s.t.call("POST", "/api/triggers", { name: uniqueName("re"), type: "api" });
  const first = await SseReader.open(`${s.base}/api/events`);
  const a = await s.fire(trig.body.id, { n: "a" });
  await first.until(() => first.fired().length === 1, "first event");
  first.close();
  const missed = [await s.fire(trig.body.id, { n: "b" }), await s.fire(trig.body.id, { n: "c" })];
  const again = await SseReader.open(`${s.base}/api/events`, { "Last-Event-ID": a.id });
  try {
    await again.until(() => again.fired().length === 2, "the two missed events");
    const live = await s.fire(trig.body.id, { n: "d" });
    await again.until(() => again.fired().length === 3, "the live event");
    assert.deepEqual(again.fired().map((e) => e.data), [...missed, live]);
    // And the query-string form, for clients that cannot set headers, from the start.
    const q = await SseReader.open(
      `${s.base}/api/events?lastEventId=${a.id}&trigger=${trig.body.name}`,
    );
    await q.until(() => q.fired().length === 3, "replay by query");
    assert.deepEqual(q.fired().map((e) => e.id), [...missed, live].map((l) => l.id));
    q.close();
    const bad = await fetch(`${s.base}/api/events`, { headers: { "Last-Event-ID": "x" } });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    // No trigger has a name this long: a 400, not a stream of nothing.
    const long = await fetch(`${s.base}/api/events?trigger=${"x".repeat(129)}`);
    assert.equal(long.status, 400);
    await long.body?.cancel();
  } finally {
    again.close();
  }
});

Deno.test("a replay pauses at its bound and a client reconnecting from there gets the rest", async () => {
  // Bound 25: each connection's replay reads at most 25 entries, matching or not.
  await using s = await serveApp(300, 25);
  const trig = await s.t.call("POST", "/api/triggers", { name: uniqueName("pg"), type: "api" });
  const other = await s.t.call("POST", "/api/triggers", { name: uniqueName("po"), type: "api" });
  const start = await s.fire(trig.body.id);
  const mine: string[] = [];
  for (let i = 0; i < 60; i++) {
    const log = await s.fire(i % 3 ? other.body.id : trig.body.id, { i });
    if (i % 3 === 0) mine.push(log.id);
  }
  for (const query of ["", `?trigger=${trig.body.name}`, `?trigger=${trig.body.id}`]) {
    const want = query ? mine : (await s.t.call("GET", "/api/logs?limit=100")).body.items
      .map((e: { id: string }) => e.id).reverse().filter((id: string) => id > start.id);
    const got: string[] = [];
    let from = start.id;
    let connections = 0;
    for (;;) {
      const sse = await SseReader.open(`${s.base}/api/events${query}`, { "Last-Event-ID": from });
      connections++;
      try {
        await sse.until(
          () =>
            sse.frames.some((f) => f.event === "replay-paused") || got.length +
                  sse.fired().length === want.length,
          "the replay's end or its pause",
        );
      } finally {
        sse.close();
      }
      got.push(...sse.fired().map((e) => e.id));
      const paused = sse.frames.find((f) => f.event === "replay-paused");
      if (!paused) break;
      assert.deepEqual(JSON.parse(paused.data!), { reason: "replay limit", limit: 25 });
      from = paused.id!;
    }
    assert.deepEqual(got, want, `every entry once, in order (${query || "all"})`);
    // Without a trigger, 60 entries at 25 a connection; with one, its two indexes hold 21.
    assert.equal(connections, query ? 1 : 3, query);
  }
});

Deno.test("no gap and no duplicate at the replay/live seam while firings keep coming", async () => {
  await using s = await serveApp();
  const trig = await s.t.call("POST", "/api/triggers", { name: uniqueName("seam"), type: "api" });
  const other = await s.t.call("POST", "/api/triggers", { name: uniqueName("oth"), type: "api" });
  const start = await s.fire(trig.body.id);
  // 300 entries to replay, so the replay scan takes a while.
  for (let i = 0; i < 300; i++) await s.fire(i % 2 ? trig.body.id : other.body.id, { i });
  const firing = (async () => {
    const ids = [];
    for (let i = 0; i < 60; i++) ids.push((await s.fire(trig.body.id, { live: i })).id);
    return ids;
  })();
  const sse = await SseReader.open(`${s.base}/api/events?trigger=${trig.body.id}`, {
    "Last-Event-ID": start.id,
  });
  try {
    const liveIds = await firing;
    const all = (await s.t.call("GET", `/api/logs?trigger=${trig.body.id}&limit=500`)).body.items
      .map((e: { id: string }) => e.id).reverse().filter((id: string) => id > start.id);
    assert.equal(all.length, 150 + 60);
    await sse.until(() => sse.fired().length >= all.length, "every entry after the seam");
    await new Promise((r) => setTimeout(r, 200)); // a late duplicate would show up here
    const got = sse.fired().map((e) => e.id);
    assert.equal(new Set(got).size, got.length, "no duplicates");
    assert.deepEqual([...got].sort(), all, "no gaps");
    assert.ok(liveIds.every((id) => got.includes(id)));
  } finally {
    sse.close();
  }
  await waitFor(() => s.subscribers() === 0, 10_000, "the disconnect to unsubscribe");
});

Deno.test("the server process streams scheduled firings and keeps the stream past the request timeout", async () => {
  const server = await startServer({ args: ["--request-timeout", "2s"] });
  try {
    const res = await fetch(`${server.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: uniqueName("tick"),
        type: "scheduled",
        schedule: { everySeconds: 1 },
      }),
    });
    assert.equal(res.status, 201);
    const trig = await res.json();
    const sse = await SseReader.open(`${server.url}/api/events`);
    try {
      await sse.until(() => sse.fired().length >= 4, "four scheduled firings", 20_000);
      const fired = sse.fired();
      assert.ok(fired.every((e) => e.data.triggerId === trig.id && e.data.source === "schedule"));
      assert.equal(new Set(fired.map((e) => e.id)).size, fired.length);
      assert.ok(!sse.ended, "the stream outlived the 2 s request timeout");
    } finally {
      sse.close();
    }
    await waitFor(
      async () => {
        const r = await fetch(`${server.url}/api/logs/stats`);
        const stats = await r.json();
        return stats.active >= 4;
      },
      10_000,
      "stats to count the firings",
    );
  } finally {
    await server.stop();
  }
});

Deno.test("GET /api/events sends a trigger event per change, as GET /api/triggers/:id shows it", async () => {
  await using s = await serveApp();
  const all = await SseReader.open(`${s.base}/api/events`);
  const name = uniqueName("tev");
  const narrowed = await SseReader.open(`${s.base}/api/events?trigger=${name}`);
  try {
    await all.until(() => all.frames.some((f) => f.comment === "connected"), "connected");
    await narrowed.until(() => narrowed.frames.some((f) => f.comment === "connected"), "connected");
    const other = await s.t.call("POST", "/api/triggers", { name: uniqueName("x"), type: "api" });
    const created = await s.t.call("POST", "/api/triggers", {
      name,
      schedule: { everySeconds: 3600 },
      status: "paused",
    });
    const id = created.body.id;
    await s.t.call("PATCH", `/api/triggers/${id}`, { payload: { v: 2 } });
    await s.t.call("POST", `/api/triggers/${id}/resume`);
    const shown = (await s.t.call("GET", `/api/triggers/${id}`)).body;
    await s.t.call("DELETE", `/api/triggers/${id}`);
    const events = (r: SseReader) =>
      r.frames.filter((f) => f.event === "trigger").map((f) => JSON.parse(f.data!));
    await narrowed.until(() => events(narrowed).length >= 4, "four trigger events");
    const got = events(narrowed);
    assert.deepEqual(got.map((e) => e.action), ["created", "updated", "updated", "deleted"]);
    assert.deepEqual(got[0].trigger, created.body, "created: the trigger as answered");
    assert.deepEqual(got[1].trigger.payload, { v: 2 });
    assert.deepEqual(got[2].trigger, shown, "updated: the same view as GET /api/triggers/:id");
    assert.deepEqual(got[3].trigger, { id, name });
    assert.ok(narrowed.frames.filter((f) => f.event === "trigger").every((f) => !f.id));
    await all.until(() => events(all).length >= 5, "five trigger events");
    assert.equal(events(all)[0].trigger.id, other.body.id, "?trigger= left this one out above");
  } finally {
    all.close();
    narrowed.close();
  }
});

/** Resident memory of a process in bytes, from /proc. */
async function rssOf(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Reads `conn` to its end; resolves "closed" when the server closed it, "open" at the deadline. */
async function drainUntilClosed(conn: Deno.Conn, timeoutMs: number): Promise<"closed" | "open"> {
  const buf = new Uint8Array(256 * 1024);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return "open";
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const n = await Promise.race([
        conn.read(buf),
        new Promise<"wait">((r) => (timer = setTimeout(() => r("wait"), left))),
      ]);
      if (n === null) return "closed";
      if (n === "wait") return "open";
    } catch {
      return "closed"; // reset by the server
    } finally {
      clearTimeout(timer);
    }
  }
}

Deno.test("slow SSE readers are cut off at their backlog: 2,000 firings of 30 KB keep RSS bounded", async () => {
  const srv = await startServer();
  const slow: Deno.Conn[] = [];
  let reader: SseReader | null = null;
  try {
    const created = await fetch(`${srv.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: uniqueName("slow"), type: "api" }),
    });
    const { id } = await created.json();
    const body = JSON.stringify({ blob: "x".repeat(30_000) });
    const fire = async () => {
      const res = await fetch(`${srv.url}/api/triggers/${id}/fire`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      assert.equal(res.status, 202);
      return (await res.json()).id as string;
    };
    // Warm up before the baseline with as many firings as the measured part: the heap of a
    // server firing 30 KB payloads settles ~60 MB above its idle size after about 2,000 of them
    // (measured with no reader at all), so the growth measured after is what the readers cost.
    for (let i = 0; i < 100; i++) await Promise.all(Array.from({ length: 20 }, fire));
    const base = await rssOf(srv.proc.pid);
    for (let i = 0; i < 5; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
      await conn.write(new TextEncoder().encode(
        `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nAccept: text/event-stream\r\n\r\n`,
      ));
      slow.push(conn); // never read until the end
    }
    reader = await SseReader.open(`${srv.url}/api/events`);
    const r = reader;
    await r.until(() => r.frames.some((f) => f.comment === "connected"), "connected");
    let peak = base;
    let last = "";
    for (let batch = 0; batch < 100; batch++) {
      const ids = await Promise.all(Array.from({ length: 20 }, fire));
      last = ids.sort().at(-1)!;
      // The normal reader keeps up (it is never more than one batch, ~600 KB, behind).
      await r.until(() => r.fired().some((e) => e.id === last), `batch ${batch}`, 30_000);
      peak = Math.max(peak, await rssOf(srv.proc.pid));
    }
    assert.equal(r.fired().length, 2000, "the normal reader got every firing");
    const growth = peak - base;
    console.log(
      `RSS ${Math.round(base / 2 ** 20)} MiB at start, peak +${Math.round(growth / 2 ** 20)} MiB`,
    );
    assert.ok(growth < 100 * 2 ** 20, `RSS grew ${growth} bytes`);
    for (const [i, conn] of slow.entries()) {
      assert.equal(await drainUntilClosed(conn, 20_000), "closed", `slow reader ${i} was dropped`);
    }
  } finally {
    reader?.close();
    for (const c of slow) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await srv.stop();
  }
});
