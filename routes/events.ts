/**
 * `GET /api/events`: Server-Sent Events. One `fired` event per firing this instance commits
 * (`id:` the log id, `data:` the log entry with its state), and one `trigger` event per trigger
 * change published on the bus (`data: { action, trigger }`, the trigger as
 * `GET /api/triggers/:id` shows it; `{ id, name }` once deleted; no `id:` field, so it never
 * moves the client's resume point). Comment-line heartbeats keep proxies from timing out.
 *
 * Replay: a client reconnecting with `Last-Event-ID` (or `?lastEventId=`) first receives every
 * entry newer than that id still within retention, read from KV at the client's own pace, then
 * the live ones. The bus is subscribed before the replay scan; live firings queue meanwhile and
 * those the replay already sent are dropped, so the seam has neither gaps nor duplicates.
 * `?trigger=` (id or name) narrows the stream (and the replay reads that trigger's indexes).
 * One replay reads at most REPLAY_MAX entries: a client further behind gets `replay-paused`
 * with the last id read and the stream ends; reconnecting with that id continues the replay.
 *
 * Memory: the body is a pull stream over an async generator with no buffer of its own, so
 * nothing is produced before the connection takes it. Live events wait in a per-client queue
 * bounded in bytes; a client that falls more than `maxBacklogBytes` behind is disconnected (the
 * body stream errors, which closes the connection) and resumes with `Last-Event-ID`. At most
 * `--max-event-streams` streams are open at once (more are 503 with `Retry-After`), so slow
 * readers cost at most that many backlogs, and a firing's fan-out is that many queue pushes of
 * one frame, serialised once for all of them.
 */
import { Hono } from "hono";
import type { Deps } from "../core/deps.ts";
import { UnavailableError, ValidationError } from "../core/errors.ts";
import type { TriggerChange } from "../core/firing_bus.ts";
import { toLogView } from "../core/log_view.ts";
import { logsSince, REPLAY_MAX, triggerViews } from "../services/reads.ts";
import { isUlid, ulidTime } from "../core/ulid.ts";
import { MAX_NAME_LENGTH, type StoredLog } from "../core/schemas.ts";
import { FrameQueue } from "./frame_queue.ts";

export interface EventStreamOptions {
  /** Interval of the `: heartbeat` comment lines; 15 s unless a test wants it shorter. */
  heartbeatMs?: number;
  /**
   * Aborted when the server stops: ends every open stream, since `server.shutdown()` waits for
   * responses to finish and an event stream never finishes by itself.
   */
  shutdown?: AbortSignal;
  /** Unsent bytes one client may fall behind before it is disconnected (1 MiB). */
  maxBacklogBytes?: number;
  /** Entries one replay reads before it pauses (REPLAY_MAX); smaller only in tests. */
  replayMax?: number;
}

/** What the client should wait before reconnecting, sent once as the SSE `retry:` field. */
const RETRY_MS = 2000;
/** Replayed ids this recent are remembered to drop their duplicates from the live queue. */
const SEAM_WINDOW_MS = 120_000;
const encoder = new TextEncoder();

/** One SSE frame (WHATWG event-stream format): each line of `data` gets its own `data:` field. */
export function sseFrame(f: { event?: string; id?: string; data?: string; comment?: string }) {
  let out = f.comment !== undefined ? `: ${f.comment}\n` : "";
  if (f.event !== undefined) out += `event: ${f.event}\n`;
  if (f.id !== undefined) out += `id: ${f.id}\n`;
  if (f.data !== undefined) {
    for (const line of f.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  }
  return encoder.encode(out + "\n");
}

export function eventRoutes(deps: Deps, opts: EventStreamOptions = {}): Hono {
  const app = new Hono();
  const settings = {
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    maxBacklogBytes: opts.maxBacklogBytes ?? 1024 * 1024,
    replayMax: opts.replayMax ?? REPLAY_MAX,
    shutdown: opts.shutdown,
  };
  // One frame per firing for all streams: each log object is published once.
  const fired = new WeakMap<StoredLog, Uint8Array | null>();
  const logFrame = (log: StoredLog) => {
    let frame = fired.get(log);
    if (frame === undefined) {
      const view = toLogView(log, deps.clock.now(), deps.config);
      frame = view ? sseFrame({ event: "fired", id: log.id, data: JSON.stringify(view) }) : null;
      fired.set(log, frame);
    }
    return frame;
  };
  // One KV read per change for all streams: each change object is published once.
  const views = new WeakMap<TriggerChange, Promise<Uint8Array>>();
  const triggerFrame = (change: TriggerChange) => {
    let frame = views.get(change);
    if (!frame) {
      frame = (change.trigger === null
        ? Promise.resolve({ id: change.id, name: change.name })
        : triggerViews(deps, [change.trigger]).then((v) =>
          v[0]
        ))
        .then((trigger) =>
          sseFrame({ event: "trigger", data: JSON.stringify({ action: change.action, trigger }) })
        );
      views.set(change, frame);
    }
    return frame;
  };

  // Streams open now; each is counted off once when it ends, however it ends.
  let open = 0;
  app.get("/", (c) => {
    const lastEventId = c.req.header("last-event-id") || c.req.query("lastEventId") || null;
    if (lastEventId !== null && !isUlid(lastEventId)) {
      throw new ValidationError("Invalid Last-Event-ID", [{
        path: "lastEventId",
        message: "Not an event id from this stream",
      }]);
    }
    const trigger = c.req.query("trigger") || null;
    // An id or a name: longer than any name is no trigger (and no key the replay may read).
    if (trigger !== null && trigger.length > MAX_NAME_LENGTH) {
      throw new ValidationError("Invalid trigger", [{
        path: "trigger",
        message: `At most ${MAX_NAME_LENGTH} characters`,
      }]);
    }
    if (open >= deps.config.maxEventStreams) {
      throw new UnavailableError(
        `Too many event streams: ${open} are open (--max-event-streams); try again shortly`,
        RETRY_MS / 1000,
      );
    }
    open++;
    const onClose = () => open--;
    const body = eventStream(deps, {
      ...settings,
      lastEventId,
      trigger,
      triggerFrame,
      logFrame,
      onClose,
    });
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
  maxBacklogBytes: number;
  replayMax: number;
  shutdown?: AbortSignal;
  triggerFrame: (change: TriggerChange) => Promise<Uint8Array>;
  /** The `fired` frame of a log entry (null when it is past retention). */
  logFrame: (log: StoredLog) => Uint8Array | null;
  /** Called once when the stream ends. */
  onClose: () => void;
}

function eventStream(deps: Deps, p: StreamParams): ReadableStream<Uint8Array> {
  const queue = new FrameQueue(p.maxBacklogBytes);
  const matches = (id: string | null, name: string) =>
    p.trigger === null || id === p.trigger || name === p.trigger;
  const logFrame = p.logFrame;

  // Subscribe before anything else, so no firing committed from here on can be missed.
  const unsubscribeFirings = deps.bus.subscribe((logs) => {
    for (const log of logs) {
      if (!matches(log.triggerId, log.triggerName)) continue;
      const frame = logFrame(log);
      if (frame) queue.push(frame, log.id);
    }
  });
  // Trigger events keep their publication order: each waits for the view before it.
  let triggerTail = Promise.resolve();
  const unsubscribeTriggers = deps.bus.onTriggerChange((_next, changes) => {
    for (const change of changes) {
      if (!matches(change.id, change.name)) continue;
      const frame = p.triggerFrame(change);
      triggerTail = triggerTail
        .then(() => frame)
        .then((f) => queue.push(f), (err) => console.error("trigger event failed:", err));
    }
  });
  const heartbeat = setInterval(
    () => queue.push(sseFrame({ comment: "heartbeat" })),
    p.heartbeatMs,
  );
  const stop = () => queue.close();
  p.shutdown?.addEventListener("abort", stop);
  if (p.shutdown?.aborted) stop();
  let ended = false;
  // However the stream ends (the generator's end, a cancel before it ran, an overflow).
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribeFirings();
    unsubscribeTriggers();
    clearInterval(heartbeat);
    p.shutdown?.removeEventListener("abort", stop);
    p.onClose();
  };

  async function* frames(): AsyncGenerator<Uint8Array> {
    try {
      yield encoder.encode(`retry: ${RETRY_MS}\n: connected\n\n`);
      if (p.lastEventId !== null) {
        const now = deps.clock.now();
        const sent = new Set<string>();
        // Pulled lazily: the scan advances only as fast as the client reads.
        for await (const r of logsSince(deps, p.lastEventId, p.trigger, p.replayMax)) {
          if (queue.closed) break;
          if ("pausedAt" in r) {
            // The replay's bound: the stream ends here, its last id the point to go on from.
            // The client reconnects with it and the next replay continues, so nothing is lost.
            const data = JSON.stringify({ reason: "replay limit", limit: p.replayMax });
            yield sseFrame({ event: "replay-paused", id: r.pausedAt, data });
            return;
          }
          const log = r.log;
          if (!matches(log.triggerId, log.triggerName)) continue;
          const frame = logFrame(log);
          if (!frame) continue;
          if (ulidTime(log.id) >= now - SEAM_WINDOW_MS) sent.add(log.id);
          yield frame;
        }
        queue.dropLogs(sent);
      }
      for (;;) {
        const frame = await queue.take();
        if (frame === null) break;
        yield frame;
      }
    } finally {
      end();
    }
  }

  const gen = frames();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  queue.onOverflow = () => {
    // Erroring the body resets the connection at once, even while a write to the socket is
    // blocked; a clean end would leave the unsent tail and the socket held for a client that
    // is not reading.
    controller.error(new Error("The event stream client fell more than its backlog behind"));
    void gen.return(undefined);
    end();
  };
  // A pull stream with no buffer of its own: a frame is produced only when the connection asks.
  return new ReadableStream<Uint8Array>({
    start(ctrl) {
      controller = ctrl;
    },
    async pull(ctrl) {
      const next = await gen.next();
      if (queue.overflow) return;
      if (next.done) ctrl.close();
      else ctrl.enqueue(next.value);
    },
    async cancel() {
      // Waking the queue first lets a generator waiting in take() end at once.
      queue.close();
      await gen.return(undefined);
      end();
    },
  }, { highWaterMark: 0 });
}
