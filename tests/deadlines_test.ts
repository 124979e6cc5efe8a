/** core/deadlines.ts: many deadlines of one length on one interval. */
import assert from "node:assert/strict";
import { FifoDeadlines } from "../core/deadlines.ts";

Deno.test("a deadline rejects work that never settles; settled work keeps its value", async () => {
  const d = new FifoDeadlines(20);
  const never = new Promise<never>(() => {});
  const err = await d.race(never, () => new Error("late")).catch((e) => e);
  assert.equal((err as Error).message, "late");
  assert.equal(await d.race(Promise.resolve(7), () => new Error("late")), 7);
  await assert.rejects(d.race(Promise.reject(new Error("own")), () => new Error("late")), /own/);
});

Deno.test("deadlines expire in the order they were added; a cancelled one never fires", async () => {
  const d = new FifoDeadlines(10);
  const fired: number[] = [];
  const done = Promise.withResolvers<void>();
  const a = d.add(() => fired.push(0));
  const b = d.add(() => fired.push(1));
  d.add(() => {
    fired.push(2);
    done.resolve();
  });
  d.cancel(b);
  await done.promise;
  assert.deepEqual(fired, [0, 2]);
  d.cancel(a); // already expired: no effect
});
