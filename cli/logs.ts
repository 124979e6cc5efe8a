/** `tock logs`: list execution logs, or stream new firings with `--follow`. */
import type { LogEntry } from "../core/schemas.ts";
import { ApiError, errorMessage } from "./client.ts";
import { type Ctx, numberOption, str, UsageError } from "./context.ts";
import { LOG_COLUMNS, LOG_WIDTHS, logLine, logRow } from "./format.ts";
import { readEvents } from "./sse.ts";
import { line, table } from "./table.ts";

const STATES = ["active", "archived", "all"];
const SOURCES = ["schedule", "api", "manual", "test"];
const OUTCOMES = ["ok", "pending", "failed", "skipped", "missed"];

function oneOf(ctx: Ctx, name: string, allowed: string[]): string | undefined {
  const v = str(ctx.values, name);
  if (v !== undefined && !allowed.includes(v)) {
    throw new UsageError(`--${name}: expected ${allowed.join(", ")}; got "${v}"`, "logs");
  }
  return v;
}

/** `tock logs [--follow] [--trigger id|name] [--state s] [--source s] [--outcome o] [--limit n]` */
export async function logsCommand(ctx: Ctx): Promise<number> {
  const filters = {
    trigger: str(ctx.values, "trigger"),
    state: oneOf(ctx, "state", STATES),
    source: oneOf(ctx, "source", SOURCES),
    outcome: oneOf(ctx, "outcome", OUTCOMES),
  };
  if (ctx.values.follow) {
    for (const flag of ["limit", "since", "until"]) {
      if (ctx.values[flag] !== undefined) {
        throw new UsageError(`--${flag} does not apply to --follow`, "logs");
      }
    }
    return await follow(ctx, filters);
  }
  const limit = numberOption(ctx.values, "limit", "logs", true) ?? 50;
  const entries: LogEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.client.request<{ items: LogEntry[]; nextCursor: string | null }>(
      "GET",
      "/api/logs",
      {
        query: {
          ...filters,
          since: str(ctx.values, "since"),
          until: str(ctx.values, "until"),
          limit: Math.min(500, limit - entries.length),
          cursor,
        },
      },
    );
    entries.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && entries.length < limit);
  if (ctx.json) ctx.out(JSON.stringify(entries, null, 2));
  else if (entries.length === 0) ctx.out("No log entries");
  else ctx.out(table(LOG_COLUMNS, entries.map(logRow)));
  return 0;
}

type Filters = { trigger?: string; state?: string; source?: string; outcome?: string };

function matches(e: LogEntry, f: Filters): boolean {
  return (f.trigger === undefined || e.triggerId === f.trigger || e.triggerName === f.trigger) &&
    (f.state === undefined || f.state === "all" || e.state === f.state) &&
    (f.source === undefined || e.source === f.source) &&
    (f.outcome === undefined || e.outcome === f.outcome);
}

/**
 * Streams `fired` events from `/api/events` until interrupted (SIGINT/SIGTERM or the io
 * signal), reconnecting with backoff and `Last-Event-ID` when the server goes away. Tables get
 * fixed-width rows; `--json` prints one log entry per line (NDJSON).
 */
async function follow(ctx: Ctx, filters: Filters): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = ctx.signal ? [] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  ctx.signal?.addEventListener("abort", onSignal, { once: true });
  if (ctx.signal?.aborted) stop.abort();
  try {
    if (!ctx.json) ctx.out(line(LOG_COLUMNS, LOG_WIDTHS));
    let connectedOnce = false;
    let lastEventId: string | undefined;
    let backoffMs = 250;
    while (!stop.signal.aborted) {
      let why: string;
      try {
        // The server filters by trigger itself and, given the last id seen, replays what
        // fired while the connection was down.
        const res = await ctx.client.stream("/api/events", {
          signal: stop.signal,
          query: { trigger: filters.trigger },
          headers: lastEventId ? { "last-event-id": lastEventId } : {},
        });
        ctx.err(
          `${connectedOnce ? "Reconnected to" : "Following firings from"} ` +
            `${ctx.client.baseUrl}/api/events (Ctrl-C to stop)`,
        );
        connectedOnce = true;
        backoffMs = 250;
        let paused = false;
        for await (const ev of readEvents(res.body!)) {
          if (ev.id) lastEventId = ev.id;
          // The server's replay reads a bounded slice per connection: go on from its last id.
          if (ev.event === "replay-paused") paused = true;
          if (ev.event !== "fired") continue;
          let entry: LogEntry;
          try {
            entry = JSON.parse(ev.data);
          } catch {
            ctx.err(`warning: skipped an event whose data is not JSON: ${ev.data.slice(0, 200)}`);
            continue;
          }
          if (matches(entry, filters)) ctx.out(ctx.json ? JSON.stringify(entry) : logLine(entry));
        }
        if (paused) continue;
        why = "Event stream ended";
      } catch (err) {
        if (stop.signal.aborted) break;
        // The first connection must work, and a refusal (bad key) will not fix itself; a
        // server that went away after that may come back, and one with every event stream
        // taken (503) has one free as soon as another client leaves.
        const status = err instanceof ApiError ? err.status : null;
        const refused = status !== null && status >= 400 && status < 500;
        if (refused || (!connectedOnce && status !== 503)) throw err;
        why = `Event stream interrupted (${errorMessage(err)})`;
      }
      if (stop.signal.aborted) break;
      ctx.err(`${why}; reconnecting in ${backoffMs}ms`);
      await sleep(backoffMs, stop.signal);
      backoffMs = Math.min(backoffMs * 2, 5000);
    }
    return 0;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    ctx.signal?.removeEventListener("abort", onSignal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
