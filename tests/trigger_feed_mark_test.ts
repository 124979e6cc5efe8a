/**
 * The change feed's low mark (services/feed_stamps.ts): a writing instance publishes the stamp
 * below which all its feed entries have landed, and readers start there instead of re-reading
 * a lookback window of entries every poll. Two instances on one KV file, clocks set by hand.
 */
import assert from "node:assert/strict";
import { feedInstance, pair } from "./helpers/feed.ts";
import { ManualClock } from "../core/clock.ts";
import { addChangeWrite } from "../db/trigger_feed.ts";
import { FeedStamps, withNotes } from "../services/feed_stamps.ts";
import { originOf } from "../services/trigger_feed.ts";
import { createTrigger } from "../services/triggers.ts";

Deno.test("FeedStamps: the low mark never passes a stamp still held, and no later stamp goes under a mark", () => {
  const s = new FeedStamps();
  assert.equal(s.low(1_000), 1_000, "nothing held: now");
  const a = s.hold(2_000);
  const b = s.hold(2_005);
  assert.equal(s.low(3_000), 2_000);
  s.release(a);
  assert.equal(s.low(3_000), 2_005);
  s.release(b);
  assert.equal(s.low(3_000), 3_000);
  // The clock steps back: stamps and marks stay at or above what was given out.
  const c = s.hold(2_500);
  assert.equal(c, 3_000);
  s.release(c);
  assert.equal(s.low(2_600), 3_000);
  // Two entries with one stamp: held until both settle.
  const d = s.hold(4_000);
  const e = s.hold(4_000);
  s.release(d);
  assert.equal(s.low(5_000), 4_000);
  s.release(e);
  assert.equal(s.low(5_000), 5_000);
});

Deno.test("with the writer's low mark, a reader reads each entry once, not again every poll", async () => {
  const p = await pair();
  try {
    for (let i = 0; i < 200; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => createTrigger(p.a.deps, { name: `m-${i + j}` })),
      );
    }
    p.aClock.advance(1);
    await p.a.feed.poll(); // A writes its mark: everything it stamped so far has landed
    await p.b.feed.poll();
    assert.equal(p.remote().length, 200);
    const read = p.b.feed.entriesRead;
    assert.equal(read, 200);
    // Within B's lookback, which used to re-read all 200 on each poll.
    await p.b.feed.poll();
    await p.b.feed.poll();
    assert.equal(p.b.feed.entriesRead, read, "nothing read again");
    await createTrigger(p.a.deps, { name: "m-new" });
    await p.b.feed.poll();
    assert.deepEqual(p.remote().slice(200), ["created m-new"]);
    assert.equal(p.b.feed.entriesRead, read + 1);
  } finally {
    await p.close();
  }
});

Deno.test("an entry still being committed when the mark was written is read when it lands", async () => {
  const p = await pair();
  try {
    const rec = await createTrigger(p.a.deps, { name: "slow" });
    p.aClock.advance(10);
    const gate = Promise.withResolvers<void>();
    const origin = originOf(p.a.deps.bus);
    // Stamped now, committed only when the gate opens: a commit in flight.
    const slow = withNotes(p.a.deps.bus, origin, () => p.aClock.now(), "updated", async (note) => {
      const entry = note(rec);
      await gate.promise;
      const op = p.a.kv.atomic();
      addChangeWrite(op, entry);
      assert.ok((await op.commit()).ok);
    });
    p.aClock.advance(10);
    await createTrigger(p.a.deps, { name: "fast" }); // stamped later, lands first
    p.aClock.advance(10);
    await p.a.feed.poll();
    await p.b.feed.poll();
    assert.deepEqual(p.remote(), ["created slow", "created fast"]);
    // Past B's lookback (1 s): without the mark, B would read from after "fast" now.
    p.bClock.advance(5_000);
    await p.b.feed.poll();
    gate.resolve();
    await slow;
    p.aClock.advance(10);
    await p.a.feed.poll();
    await p.b.feed.poll();
    assert.deepEqual(p.remote(), ["created slow", "created fast", "updated slow"]);
  } finally {
    await p.close();
  }
});

Deno.test("an instance starting after another's changes reads none of them at its start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-feed-" });
  const clock = new ManualClock(Date.UTC(2026, 10, 29, 12));
  const a = await feedInstance(`${dir}/tock.kv`, { clock, pollMs: 3_600_000 });
  try {
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => createTrigger(a.deps, { name: `before-${i}` })),
    );
    clock.advance(1);
    await a.feed.poll();
    // The restarted-instance case: it used to read the other's last 10 s of entries at start.
    const b = await feedInstance(`${dir}/tock.kv`, { clock, pollMs: 3_600_000 });
    try {
      assert.equal(b.feed.entriesRead, 0);
      await createTrigger(a.deps, { name: "after" });
      await b.feed.poll();
      assert.deepEqual(b.seen.map((c) => `${c.action} ${c.name}`), ["created after"]);
      assert.equal(b.feed.entriesRead, 1);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});
