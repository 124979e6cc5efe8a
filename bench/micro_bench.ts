/**
 * Microbenchmarks of the hot paths: key building and ULIDs (every write), the claim plan of a
 * due occurrence for each schedule form (every scheduled firing), and one shared commit of
 * many firings against as many single commits (every on-demand firing). `nextOccurrence` and
 * the claim commit are in bench/next_occurrence_bench.ts (the scheduler's own file).
 *
 *   deno bench -A bench/micro_bench.ts bench/next_occurrence_bench.ts
 */
import { keys } from "../db/keys.ts";
import { ulid } from "../core/ulid.ts";
import { record as storedRecord } from "./stored_records.ts";
import { planClaim } from "../scheduler/claim.ts";
import { GroupCommitter, keySize } from "../db/group_commit.ts";
import type { ScheduleInput } from "../core/schedule_schemas.ts";
import type { TriggerRecord } from "../core/schemas.ts";

const NOW = Date.parse("2026-11-29T12:00:00.000Z");

const record = (schedule: ScheduleInput): TriggerRecord => storedRecord("bench", schedule, NOW);

const every = record({ everySeconds: 10 });
const cronUtc = record({ cron: "*/5 * * * *", timezone: "UTC" });
const cronTz = record({ cron: "0 9 * * 1-5", timezone: "America/New_York" });
const cronSeconds = record({ cron: "*/10 * * * * *", timezone: "Europe/Berlin" });
const once = record({ at: "2026-12-01T00:00:00.000Z" });

let t = NOW;
Deno.bench("ulid() in a new millisecond", { group: "keys" }, () => {
  ulid(++t);
});
Deno.bench("ulid() within one millisecond (monotonic)", { group: "keys", baseline: true }, () => {
  ulid(NOW + 10_000_000);
});
const id = ulid(NOW);
Deno.bench("keys of one firing (log + 2 indexes + 3 counters)", { group: "keys" }, () => {
  const logId = ulid(NOW + 20_000_000);
  keys.log(logId);
  keys.logByTrigger(id, logId);
  keys.logByName("bench", logId);
  keys.logCount(id);
  keys.triggerRuns(id);
  keys.triggerLastRun(id);
});
Deno.bench("keySize() of a log index key (group-commit bound)", { group: "keys" }, () => {
  keySize(keys.logByTrigger(id, id));
});

for (
  const [name, rec] of [
    ["everySeconds", every],
    ["cron UTC", cronUtc],
    ["cron America/New_York", cronTz],
    ["cron with seconds, Europe/Berlin", cronSeconds],
    ["at (one time)", once],
  ] as const
) {
  const due = Date.parse(rec.nextRunAt!);
  Deno.bench(`planClaim() on time, ${name}`, { group: "planClaim" }, () => {
    planClaim(rec, due, due + 3, 5000);
  });
}
Deno.bench("planClaim() missed by a day, cron UTC (fire_once catch-up)", {
  group: "planClaim",
}, () => {
  const due = Date.parse(cronUtc.nextRunAt!);
  planClaim(cronUtc, due, due + 86_400_000, 5000);
});

// One on-demand firing's writes (log, two indexes, counters), committed singly or shared.
const kv = await Deno.openKv(":memory:");
const committer = new GroupCommitter(kv);
const firing = (op: Deno.AtomicOperation) => {
  const logId = ulid(Date.now());
  const log = { id: logId, triggerId: id, payload: { n: 1 }, firedAt: new Date().toISOString() };
  op.set(keys.log(logId), log)
    .set(keys.logByTrigger(id, logId), logId)
    .set(keys.logByName("bench", logId), logId)
    .sum(keys.logCount(id), 1n)
    .set(keys.logCounterName(id), "bench")
    .sum(keys.triggerRuns(id), 1n)
    .max(keys.triggerLastRun(id), BigInt(Date.now()));
};
Deno.bench("100 firings, one kv.atomic() each", { group: "commit", baseline: true }, async () => {
  for (let i = 0; i < 100; i++) {
    const op = kv.atomic();
    firing(op);
    await op.commit();
  }
});
Deno.bench("100 concurrent firings through the GroupCommitter", { group: "commit" }, async () => {
  await Promise.all(Array.from({ length: 100 }, () => committer.submit(firing, 600)));
});
