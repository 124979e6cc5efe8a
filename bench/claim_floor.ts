/**
 * The floor under a burst: what KV alone takes to commit the claims of `n` one-time triggers
 * due at one instant, with nothing else to do. The claims are planned and built beforehand by
 * the scheduler's own functions (`planClaim`, `claimOps`), exactly the writes a real claim
 * makes (checked record, due entry, log entry, indexes, counters merged per commit); only the
 * commits are timed, in batches of the scheduler's size with as many in flight as its claim
 * workers. No listing, no reads, no planning, no bus: Tock's burst cannot be faster than this.
 *
 *   deno run -A bench/claim_floor.ts [--n 10000]
 */
import { parseArgs } from "node:util";
import { parseConfig } from "../core/config.ts";
import { keys } from "../db/keys.ts";
import { type ClaimOps, claimOps, commitClaims } from "../db/due.ts";
import { MAX_BATCH } from "../scheduler/claim.ts";
import { applyOverlap, planClaim } from "../scheduler/plan.ts";
import { record } from "./stored_records.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import type { TriggerRecord } from "../core/schemas.ts";

export interface ClaimFloor {
  n: number;
  /** From the first commit handed to KV until the last is durable. */
  ms: number;
  commits: number;
  /** Writes (checks included) per claim, before counters are merged per commit. */
  writesPerClaim: number;
}

export async function claimFloor(n: number, inFlight = 2): Promise<ClaimFloor> {
  const dir = await Deno.makeTempDir({ prefix: "tock-claim-floor-" });
  const kv = await Deno.openKv(`${dir}/tock.kv`);
  try {
    const config = parseConfig(["--kv", `${dir}/tock.kv`], {});
    const now = Date.now();
    // The same records as the burst it is the floor of (bench/scheduler_lateness.ts).
    const at = now + 60_000;
    const iso = new Date(at).toISOString();
    await insertTriggersBatch(
      kv,
      Array.from({ length: n }, (_, i) => record(`burst-${i}`, { at: iso }, now)),
    );
    const ops: ClaimOps[] = [];
    for await (const entry of kv.list<TriggerRecord>({ prefix: keys.triggersPrefix() })) {
      const p = applyOverlap(
        planClaim(entry.value, at, at, config.misfireGraceMs),
        entry.value,
        undefined,
      );
      ops.push(claimOps({ entry, ...p }, config));
    }
    const batches: ClaimOps[][] = [];
    for (let i = 0; i < ops.length; i += MAX_BATCH) batches.push(ops.slice(i, i + MAX_BATCH));
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const res = await commitClaims(kv, batches[next++]);
        if (!res.ok) throw new Error("a floor claim lost its check");
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const ms = performance.now() - t0;
    return {
      n: ops.length,
      ms: Math.round(ms),
      commits: batches.length,
      writesPerClaim: ops.reduce((a, o) => a + o.count + o.sums.length, 0) / ops.length,
    };
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { n: { type: "string", default: "10000" } } });
  const f = await claimFloor(Number(values.n));
  console.log(
    `${f.n} claims committed by KV alone: ${f.ms} ms in ${f.commits} commits ` +
      `(${f.writesPerClaim.toFixed(1)} writes per claim before merged counters)`,
  );
}
