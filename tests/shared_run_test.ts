/**
 * SharedRun (core/shared_run.ts), behind the whole-store stats: callers that arrive while a
 * run is under way share the next run, never the one under way (its answer may predate them),
 * and at most one run is under way at a time.
 */
import assert from "node:assert/strict";
import { SharedRun } from "../core/shared_run.ts";

/** A run function whose runs end when the test says so, counting starts and overlaps. */
function controlled() {
  const runs: PromiseWithResolvers<number>[] = [];
  let active = 0;
  let maxActive = 0;
  const fn = () => {
    active++;
    maxActive = Math.max(maxActive, active);
    const r = Promise.withResolvers<number>();
    runs.push(r);
    return r.promise.finally(() => active--);
  };
  return { fn, runs, maxActive: () => maxActive };
}

Deno.test("SharedRun: calls during a run share the next run, which starts when it ends", async () => {
  const shared = new SharedRun<number>();
  const c = controlled();
  const first = shared.run(c.fn);
  assert.equal(c.runs.length, 1);
  const waiting = [shared.run(c.fn), shared.run(c.fn), shared.run(c.fn)];
  await Promise.resolve();
  assert.equal(c.runs.length, 1, "no second run while the first is under way");
  c.runs[0].resolve(1);
  assert.equal(await first, 1);
  // The next run starts once the first has ended, for all three.
  while (c.runs.length < 2) await new Promise((r) => setTimeout(r, 1));
  const late = shared.run(c.fn); // arrives while the second runs: gets a third
  c.runs[1].resolve(2);
  assert.deepEqual(await Promise.all(waiting), [2, 2, 2]);
  while (c.runs.length < 3) await new Promise((r) => setTimeout(r, 1));
  c.runs[2].resolve(3);
  assert.equal(await late, 3);
  assert.equal(c.runs.length, 3);
  assert.equal(c.maxActive(), 1);
});

Deno.test("SharedRun: a failed run fails its own callers only; the next runs", async () => {
  const shared = new SharedRun<number>();
  const c = controlled();
  const first = shared.run(c.fn);
  const second = shared.run(c.fn);
  c.runs[0].reject(new Error("KV trouble"));
  await assert.rejects(first, /KV trouble/);
  while (c.runs.length < 2) await new Promise((r) => setTimeout(r, 1));
  c.runs[1].resolve(7);
  assert.equal(await second, 7);
  // Idle again: a new call starts at once.
  const third = shared.run(c.fn);
  assert.equal(c.runs.length, 3);
  c.runs[2].resolve(8);
  assert.equal(await third, 8);
});
