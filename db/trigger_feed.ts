/**
 * The trigger change feed: every trigger write made through the services also writes
 * `["trigger_feed", origin, ulid]` -> `{ id, name, action }` in the same commit, kept a few
 * minutes, `origin` being the writing instance. Each instance reads the entries of the others
 * (services/trigger_feed.ts), so a change made anywhere reaches every instance's bus and event
 * streams. Keyed by origin first, a reader never reads its own instance's entries, and reads
 * each other instance's from a point in that instance's own clock: its low mark
 * `["trigger_feed_mark", origin]` (every entry it stamped before has landed) when it has one.
 */
import { keys } from "./keys.ts";
import { getManyChunked, retryLocked } from "./kv.ts";
import { ulid, ulidFloor } from "../core/ulid.ts";

/** What a change did, as the event stream names it. */
export type ChangeAction = "created" | "updated" | "deleted";

/** One feed entry. */
export interface ChangeEntry {
  id: string;
  name: string;
  action: ChangeAction;
}

/** The change a trigger write records, by which instance, and when (the clock of the writer). */
export interface ChangeNote extends ChangeEntry {
  origin: string;
  atMs: number;
}

/** How long entries stay: far longer than any reader's poll and clock skew. */
export const FEED_TTL_MS = 5 * 60_000;

/** Adds the feed entry of `note` to the commit of the change itself. */
export function addChangeWrite(op: Deno.AtomicOperation, note: ChangeNote): void {
  const { atMs, origin, ...entry } = note;
  op.set(keys.triggerChange(origin, ulid(atMs)), entry, { expireIn: FEED_TTL_MS });
}

/**
 * The origins with entries in the feed, at most `max`: one read of one entry per origin,
 * each starting just past the previous origin's keys.
 */
export async function readOrigins(kv: Deno.Kv, max = 1_000): Promise<string[]> {
  const prefix = keys.triggerChangesPrefix();
  const out: string[] = [];
  let start: Deno.KvKey | undefined;
  while (out.length < max) {
    const sel = start ? { prefix, start } : { prefix };
    const [e] = await retryLocked(() => Array.fromAsync(kv.list(sel, { limit: 1 })));
    if (!e) break;
    const origin = e.key[1] as string;
    out.push(origin);
    // Every key of `origin` ([prefix, origin, ulid]) sorts before [prefix, origin + "\0"].
    start = [...prefix, origin + "\0"];
  }
  return out;
}

/**
 * Entries of `origin` written at `sinceMs` or later by its clock, oldest first; with `after`,
 * only those after that key, and with `limit`, at most that many.
 */
export async function readChanges(
  kv: Deno.Kv,
  origin: string,
  sinceMs: number,
  page: { after?: string; limit?: number } = {},
): Promise<{ key: string; entry: ChangeEntry }[]> {
  const prefix = keys.triggerChangesPrefix(origin);
  // Every key is a 26-character ULID, so `after + "\0"` sorts just past `after`.
  const from = page.after !== undefined ? page.after + "\0" : ulidFloor(sinceMs);
  return await retryLocked(async () => {
    const out: { key: string; entry: ChangeEntry }[] = [];
    const sel = { start: [...prefix, from], end: [...prefix, "~"] };
    const opts = { batchSize: 500, ...(page.limit ? { limit: page.limit } : {}) };
    for await (const e of kv.list<ChangeEntry>(sel, opts)) {
      out.push({ key: e.key[2] as string, entry: e.value });
    }
    return out;
  });
}

/** The key (its ULID) of the latest entry of `origin`, or null when it has none. */
export async function lastChange(kv: Deno.Kv, origin: string): Promise<string | null> {
  const sel = { prefix: keys.triggerChangesPrefix(origin) };
  const [e] = await retryLocked(() => Array.fromAsync(kv.list(sel, { limit: 1, reverse: true })));
  return e ? e.key[2] as string : null;
}

/**
 * Stores `origin`'s low mark `ms` (its clock): every feed entry it stamped before `ms` has
 * landed or never will. Readers start there instead of re-reading a whole lookback window.
 */
export async function writeMark(kv: Deno.Kv, origin: string, ms: number): Promise<void> {
  const key = keys.triggerFeedMark(origin);
  await retryLocked(() => kv.set(key, ms, { expireIn: FEED_TTL_MS }));
}

/** The low marks of `origins` that have one. */
export async function readMarks(kv: Deno.Kv, origins: string[]): Promise<Map<string, number>> {
  const entries = await retryLocked(() =>
    getManyChunked<number>(kv, origins.map((o) => keys.triggerFeedMark(o)))
  );
  const out = new Map<string, number>();
  entries.forEach((e, i) => {
    if (typeof e.value === "number") out.set(origins[i], e.value);
  });
  return out;
}
