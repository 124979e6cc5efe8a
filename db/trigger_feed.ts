/**
 * The trigger change feed: every trigger write made through the services also writes
 * `["trigger_changes", ulid]` -> `{ id, name, action, origin }` in the same commit, kept a few
 * minutes. Each instance reads the entries of the others (services/trigger_feed.ts), so a
 * change made anywhere reaches every instance's bus and event streams.
 */
import { keys } from "./keys.ts";
import { retryLocked } from "./kv.ts";
import { ulid, ulidFloor } from "../core/ulid.ts";

/** What a change did, as the event stream names it. */
export type ChangeAction = "created" | "updated" | "deleted";

/** One feed entry; `origin` is the writing instance, which skips its own entries. */
export interface ChangeEntry {
  id: string;
  name: string;
  action: ChangeAction;
  origin: string;
}

/** The change a trigger write records, and when (the clock of the writer). */
export interface ChangeNote extends ChangeEntry {
  atMs: number;
}

/** How long entries stay: far longer than any reader's poll and clock skew. */
export const FEED_TTL_MS = 5 * 60_000;

/** Adds the feed entry of `note` to the commit of the change itself. */
export function addChangeWrite(op: Deno.AtomicOperation, note: ChangeNote): void {
  const { atMs, ...entry } = note;
  op.set(keys.triggerChange(ulid(atMs)), entry, { expireIn: FEED_TTL_MS });
}

/** Feed entries written at `sinceMs` or later (by their writer's clock), oldest first. */
export async function readChanges(
  kv: Deno.Kv,
  sinceMs: number,
): Promise<{ key: string; entry: ChangeEntry }[]> {
  const prefix = keys.triggerChangesPrefix();
  return await retryLocked(async () => {
    const out: { key: string; entry: ChangeEntry }[] = [];
    const sel = { start: [...prefix, ulidFloor(sinceMs)], end: [...prefix, "~"] };
    for await (const e of kv.list<ChangeEntry>(sel, { batchSize: 500 })) {
      out.push({ key: e.key[1] as string, entry: e.value });
    }
    return out;
  });
}
