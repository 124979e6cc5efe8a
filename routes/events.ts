/**
 * `GET /api/events`: Server-Sent Events. One `fired` event per firing this instance commits
 * (`id:` the log id, `data:` the log entry with its state), sent as soon as the commit is
 * published on the firing bus; comment-line heartbeats keep proxies and clients from timing
 * out. A client that reconnects with `Last-Event-ID` (or `?lastEventId=`) first receives every
 * entry newer than that id still within retention, from KV, then the live ones: the bus is
 * subscribed before the replay scan and its firings buffered, then drained without the ids the
 * replay already sent, so the seam has neither gaps nor duplicates. `?trigger=` (id or name)
 * narrows the stream. With several instances each streams the firings it made itself; the
 * replay after a reconnect covers all of them, because it reads KV.
 */
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { ValidationError } from "../errors.ts";
import { logsAfter } from "../db/log_list.ts";
import { toLogView } from "../db/log_view.ts";
import { isUlid, ulidTime } from "../db/ulid.ts";
import type { StoredLog } from "../schemas.ts";

export interface EventStreamOptions {
  /** Interval of the `: heartbeat` comment lines; 15 s unless a test wants it shorter. */
  heartbeatMs?: number;
  /**
   * Aborted when the server stops: ends every open stream, since `server.shutdown()` waits for
   * responses to finish and an event stream never finishes by itself.
   */
  shutdown?: AbortSignal;
}

/** What the client should wait before reconnecting, sent once as the SSE `retry:` field. */
const RETRY_MS = 2000;
/** Chunks queued for a client that does not read before it is dropped (it may reconnect). */
const MAX_BACKLOG = 10_000;
/** Replayed ids this recent are remembered to drop their duplicates from the live buffer. */
const SEAM_WINDOW_MS = 120_000;

export function eventRoutes(deps: Deps, opts: EventStreamOptions = {}): Hono {
  const app = new Hono();
  const heartbeatMs = opts.heartbeatMs ?? 15_000;

  app.get("/", (c) => {
    const lastEventId = c.req.header("last-event-id") || c.req.query("lastEventId") || null;
    if (lastEventId !== null && !isUlid(lastEventId)) {
      throw new ValidationError("Invalid Last-Event-ID", [{
        path: "lastEventId",
        message: "Not an event id from this stream",
      }]);
    }
    const trigger = c.req.query("trigger") || null;
    // A client going away cancels the body stream, which unsubscribes (see close()).
    const body = eventStream(deps, { lastEventId, trigger, heartbeatMs, shutdown: opts.shutdown });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  });

  return app;
}

interface StreamParams {
  lastEventId: string | null;
  trigger: string | null;
  heartbeatMs: number;
  shutdown?: AbortSignal;
}

function eventStream(deps: Deps, p: StreamParams): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let closed = false;
  let unsubscribe = () => {};
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let demand = Promise.withResolvers<void>();
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    p.shutdown?.removeEventListener("abort", close);
    demand.resolve();
    try {
      controller.close();
    } catch { /* already closed or cancelled */ }
  };
  const send = (text: string) => {
    if (closed) return;
    if ((controller.desiredSize ?? 0) < -MAX_BACKLOG) return close();
    controller.enqueue(enc.encode(text));
  };
  const matches = (log: StoredLog) =>
    p.trigger === null || log.triggerId === p.trigger || log.triggerName === p.trigger;
  const sendLog = (log: StoredLog) => {
    const view = toLogView(log, deps.clock.now(), deps.config);
    if (view) send(`event: fired\nid: ${log.id}\ndata: ${JSON.stringify(view)}\n\n`);
  };

  /** Entries newer than `lastEventId` still retained, oldest first, read from KV. */
  const replay = async (lastEventId: string): Promise<Set<string>> => {
    const recent = new Set<string>();
    const now = deps.clock.now();
    for await (const log of logsAfter(deps.kv, lastEventId, now, deps.config)) {
      if (closed) break;
      if (!matches(log)) continue;
      sendLog(log);
      if (ulidTime(log.id) >= now - SEAM_WINDOW_MS) recent.add(log.id);
      // Respect the client's pace: a long replay must not pile up in memory.
      while (!closed && (controller.desiredSize ?? 1) <= 0) {
        demand = Promise.withResolvers<void>();
        await demand.promise;
      }
    }
    return recent;
  };

  return new ReadableStream<Uint8Array>({
    start(ctrl) {
      controller = ctrl;
      if (p.shutdown?.aborted) return close();
      p.shutdown?.addEventListener("abort", close);
      // Subscribe before anything else, so no firing committed from here on can be missed.
      let buffer: StoredLog[] | null = p.lastEventId !== null ? [] : null;
      unsubscribe = deps.bus.subscribe((logs) => {
        for (const log of logs) {
          if (!matches(log)) continue;
          if (buffer) buffer.push(log);
          else sendLog(log);
        }
      });
      send(`retry: ${RETRY_MS}\n: connected\n\n`);
      heartbeat = setInterval(() => send(": heartbeat\n\n"), p.heartbeatMs);
      if (p.lastEventId !== null) {
        replay(p.lastEventId).then((sent) => {
          const held = buffer ?? [];
          buffer = null;
          for (const log of held) if (!sent.has(log.id)) sendLog(log);
        }).catch((err) => {
          console.error("event stream replay failed:", err);
          close();
        });
      }
    },
    pull() {
      demand.resolve();
    },
    cancel() {
      close();
    },
  }, { highWaterMark: 64 });
}
