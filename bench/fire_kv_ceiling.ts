/**
 * The KV ceiling of on-demand firing, without HTTP: 50 concurrent writers in one process each
 * commit a firing's writes (log, two indexes, counters) in a loop on a local KV file, either
 * one `kv.atomic()` each or through the GroupCommitter. Prints one JSON object.
 *
 *   deno run -A bench/fire_kv_ceiling.ts [--seconds 3] [--writers 50]
 */
import { parseArgs } from "node:util";
import { keys } from "../db/keys.ts";
import { ulid } from "../db/ulid.ts";
import { GroupCommitter } from "../scheduler/group_commit.ts";

export interface KvCeiling {
  writers: number;
  single: { perSecond: number; commits: number };
  grouped: { perSecond: number; commits: number; avgBatch: number; msPerCommit: number };
}

const TRIGGER = ulid(Date.now());
const EXPIRE = { expireIn: 3600_000 };

function firing(op: Deno.AtomicOperation): void {
  const now = Date.now();
  const id = ulid(now);
  const log = {
    id,
    triggerId: TRIGGER,
    triggerName: "bench",
    triggerType: "api",
    source: "api",
    test: false,
    scheduledFor: null,
    firedAt: new Date(now).toISOString(),
    lateMs: null,
    catchUp: false,
    payload: { n: 1 },
    outcome: "ok",
    delivery: null,
  };
  op.set(keys.log(id), log, EXPIRE)
    .set(keys.logByTrigger(TRIGGER, id), id, EXPIRE)
    .set(keys.logByName("bench", id), id, EXPIRE)
    .sum(keys.logCount(TRIGGER), 1n)
    .set(keys.logCounterName(TRIGGER), "bench")
    .sum(keys.triggerRuns(TRIGGER), 1n)
    .max(keys.triggerLastRun(TRIGGER), BigInt(now));
}

export async function kvCeiling(seconds = 3, writers = 50): Promise<KvCeiling> {
  const dir = await Deno.makeTempDir({ prefix: "tock-kv-ceiling-" });
  try {
    const run = async (write: (kv: Deno.Kv) => Promise<unknown>, kv: Deno.Kv) => {
      let n = 0;
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      await Promise.all(Array.from({ length: writers }, async () => {
        while (performance.now() < end) {
          await write(kv);
          n++;
        }
      }));
      return { n, ms: performance.now() - t0 };
    };
    const kv1 = await Deno.openKv(`${dir}/single.kv`);
    const single = await run(async (kv) => {
      const op = kv.atomic();
      firing(op);
      await op.commit();
    }, kv1);
    kv1.close();
    const kv2 = await Deno.openKv(`${dir}/grouped.kv`);
    const gc = new GroupCommitter(kv2);
    const grouped = await run((_kv) => gc.submit(firing, 800), kv2);
    kv2.close();
    const commits = gc.stats().commits;
    return {
      writers,
      single: { perSecond: Math.round(single.n / (single.ms / 1000)), commits: single.n },
      grouped: {
        perSecond: Math.round(grouped.n / (grouped.ms / 1000)),
        commits,
        avgBatch: Math.round((grouped.n / commits) * 10) / 10,
        msPerCommit: Math.round((grouped.ms / commits) * 100) / 100,
      },
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "3" },
      writers: { type: "string", default: "50" },
    },
  });
  console.log(JSON.stringify(await kvCeiling(Number(values.seconds), Number(values.writers))));
}
