/**
 * The KV ceiling of on-demand firing, without HTTP: 50 concurrent writers in one process each
 * commit a firing's writes (log, two indexes, counters) in a loop on a local KV file, either
 * one `kv.atomic()` each or through the GroupCommitter. Prints one JSON object.
 *
 *   deno run -A bench/fire_kv_ceiling.ts [--seconds 3] [--writers 50]
 */
import { parseArgs } from "node:util";
import { GroupCommitter } from "../db/group_commit.ts";
import { addFiringWrites } from "./fire_servers.ts";

export interface KvCeiling {
  writers: number;
  single: { perSecond: number; commits: number };
  grouped: { perSecond: number; commits: number; avgBatch: number; msPerCommit: number };
}

function firing(op: Deno.AtomicOperation): void {
  addFiringWrites(op, { n: 1 }, Date.now());
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
