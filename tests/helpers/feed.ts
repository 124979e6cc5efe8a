/** Instances of Tock's services sharing one KV file, each with its change feed running. */
import { parseConfig } from "../../core/config.ts";
import type { TriggerChange } from "../../core/firing_bus.ts";
import { createDeps, type Deps } from "../../db/deps.ts";
import { TriggerFeed, type TriggerFeedOptions } from "../../services/trigger_feed.ts";
import { type Clock, ManualClock } from "../../core/clock.ts";

export interface FeedInstance {
  deps: Deps;
  feed: TriggerFeed;
  kv: Deno.Kv;
  /** Every trigger change this instance's bus carried, in order. */
  seen: TriggerChange[];
  close(): Promise<void>;
}

/**
 * Deps on the KV file at `path` with a TriggerFeed polling every 50 ms (or as `opts` say; a
 * test driving `feed.poll()` itself gives a long `pollMs`).
 */
export async function feedInstance(
  path: string,
  opts: { clock?: Clock } & TriggerFeedOptions = {},
): Promise<FeedInstance> {
  const kv = await Deno.openKv(path);
  const deps = createDeps(kv, parseConfig(["--kv", path], {}), { clock: opts.clock });
  const feed = new TriggerFeed(deps, { pollMs: opts.pollMs ?? 50, lookbackMs: opts.lookbackMs });
  const seen: TriggerChange[] = [];
  deps.bus.onTriggerChange((_next, changes) => seen.push(...changes));
  await feed.start();
  return {
    deps,
    feed,
    kv,
    seen,
    async close() {
      await feed.stop();
      kv.close();
    },
  };
}

/** Two instances on one KV file, clocks set by hand; B's feed polls only when told. */
export async function pair(opts: { aBehindMs?: number } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "tock-feed-" });
  const t0 = Date.UTC(2026, 10, 29, 12);
  const aClock = new ManualClock(t0 - (opts.aBehindMs ?? 0));
  const bClock = new ManualClock(t0);
  const a = await feedInstance(`${dir}/tock.kv`, { clock: aClock, pollMs: 3_600_000 });
  const b = await feedInstance(`${dir}/tock.kv`, {
    clock: bClock,
    pollMs: 3_600_000,
    lookbackMs: 1_000,
  });
  const remote = () => b.seen.filter((c) => c.remote).map((c) => `${c.action} ${c.name}`);
  return {
    a,
    b,
    aClock,
    bClock,
    remote,
    async close() {
      await a.close();
      await b.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
