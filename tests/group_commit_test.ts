import assert from "node:assert/strict";
import { createApp } from "../http/app.ts";
import { systemClock } from "../core/clock.ts";
import { parseConfig } from "../core/config.ts";
import { createDeps, type Deps } from "../db/deps.ts";
import { keys } from "../db/keys.ts";
import { GroupCommitter } from "../db/group_commit.ts";
import type { StoredLog } from "../core/schemas.ts";
import { startServer } from "./helpers/server.ts";

async function memoryDeps(args: string[] = []): Promise<Deps> {
  const kv = await Deno.openKv(":memory:");
  return createDeps(kv, parseConfig(["--kv", ":memory:", ...args], {}), { clock: systemClock });
}

async function countPrefix(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix }, { batchSize: 1000 })) n++;
  return n;
}

const name = (p: string) => `${p}-${crypto.randomUUID().slice(0, 8)}`;

Deno.test("POST /api/triggers/:id/fire keeps every one of 2,000 concurrent firings in shared commits", async () => {
  const deps = await memoryDeps();
  try {
    const app = createApp(deps);
    const published: string[] = [];
    deps.bus.subscribe((logs) => published.push(...logs.map((l) => l.id)));
    const created = await app.request("/api/triggers", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: name("burst"), type: "api" }),
    });
    assert.equal(created.status, 201);
    const trigger = await created.json();
    // The create went through the committer too: count from here.
    const s0 = deps.committer.stats();

    const N = 2000;
    const answers = await Promise.all(
      Array.from({ length: N }, async (_, n) => {
        const res = await app.request(`/api/triggers/${trigger.id}/fire`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ n }),
        });
        return { status: res.status, body: await res.json() };
      }),
    );
    assert.deepEqual(answers.filter((a) => a.status !== 202), []);
    const ids = new Set(answers.map((a) => a.body.id as string));
    assert.equal(ids.size, N, "every answer names its own entry");

    // Every answered id is stored, with its own payload, and nothing else is.
    const stored = new Map<string, StoredLog>();
    for await (const e of deps.kv.list<StoredLog>({ prefix: keys.logsPrefix() })) {
      stored.set(e.value.id, e.value);
    }
    assert.equal(stored.size, N);
    for (const a of answers) {
      assert.deepEqual(stored.get(a.body.id)?.payload, a.body.payload);
    }
    assert.deepEqual(
      [...stored.values()].map((l) => (l.payload as { n: number }).n).sort((a, b) => a - b),
      Array.from({ length: N }, (_, i) => i),
    );
    assert.equal(await countPrefix(deps.kv, keys.logsByTriggerPrefix(trigger.id)), N);
    assert.equal(published.length, N);
    assert.equal(new Set(published).size, N);

    const after = await (await app.request(`/api/triggers/${trigger.id}`)).json();
    assert.equal(after.runCount, N);

    const s = deps.committer.stats();
    assert.equal(s.committed - s0.committed, N);
    assert.equal(s.failed - s0.failed, 0);
    const commits = s.commits - s0.commits;
    assert.ok(commits < N, `firings shared commits (${commits} commits for ${N} firings)`);
    assert.ok(s.largestBatch > 1 && s.largestBatch <= 120, `largest batch ${s.largestBatch}`);
  } finally {
    deps.kv.close();
  }
});

Deno.test("a firing too large to store fails only its own request, its batch mates commit", async () => {
  const deps = await memoryDeps(["--max-payload", "1MiB"]);
  try {
    const app = createApp(deps);
    const created = await app.request("/api/triggers", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: name("mixed"), type: "api" }),
    });
    const trigger = await created.json();
    const N = 200;
    const BIG = [17, 111]; // two oversized firings among the concurrent ones
    const statuses = await Promise.all(
      Array.from({ length: N }, async (_, n) => {
        const payload = BIG.includes(n) ? { n, blob: "x".repeat(70_000) } : { n };
        const res = await app.request(`/api/triggers/${trigger.id}/fire`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload),
        });
        await res.body?.cancel();
        return res.status;
      }),
    );
    assert.deepEqual(
      statuses.map((s, n) => BIG.includes(n) ? s === 413 : s === 202).indexOf(false),
      -1,
    );
    assert.equal(await countPrefix(deps.kv, keys.logsPrefix()), N - BIG.length);
    const after = await (await app.request(`/api/triggers/${trigger.id}`)).json();
    assert.equal(after.runCount, N - BIG.length);
    assert.equal(deps.committer.stats().failed, BIG.length);
  } finally {
    deps.kv.close();
  }
});

Deno.test("GroupCommitter isolates a failing write in a shared commit", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const gc = new GroupCommitter(kv);
    await kv.set(["guard"], 1);
    const results = Array.from({ length: 40 }, (_, i) => {
      if (i === 7) return gc.submit((op) => op.set(["w", i], "y".repeat(70_000)), 140_000);
      if (i === 23) {
        // A check that cannot hold: resolves { ok: false } for this write alone.
        return gc.submit(
          (op) => op.check({ key: ["guard"], versionstamp: null }).set(["w", i], i),
          8,
        );
      }
      return gc.submit((op) => op.set(["w", i], i), 8);
    }).map((p) => p.then((r) => (r.ok ? "ok" : "check"), (e) => String(e)));
    const out = await Promise.all(results);
    assert.match(out[7], /Value too large/);
    assert.equal(out[23], "check");
    assert.deepEqual(out.filter((_, i) => i !== 7 && i !== 23), Array(38).fill("ok"));
    assert.equal(await countPrefix(kv, ["w"]), 38);
    const s = gc.stats();
    assert.equal(s.committed, 38);
    assert.equal(s.failed, 2);
    assert.ok(s.splits >= 1);
  } finally {
    kv.close();
  }
});

Deno.test("GroupCommitter keeps each commit within KV's mutation, key-size and byte limits", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const gc = new GroupCommitter(kv);
    const writes: Promise<Deno.KvCommitResult | Deno.KvCommitError>[] = [];
    // 300 writes of 9 mutations: 2,700 mutations, more than two commits' worth.
    for (let i = 0; i < 300; i++) {
      writes.push(gc.submit((op) => {
        for (let j = 0; j < 9; j++) op.set(["m", i, j], j);
      }, 100));
    }
    // 200 writes with 1.5 KB keys: 300 KB of keys, over the 80 KiB a commit may carry.
    for (let i = 0; i < 200; i++) {
      writes.push(gc.submit((op) => op.set(["k", i, "k".repeat(1500)], i), 10));
    }
    // 40 writes of 40 KB values: 1.6 MB, over the 800 KiB a commit may carry.
    for (let i = 0; i < 40; i++) {
      writes.push(gc.submit((op) => op.set(["v", i], "v".repeat(40_000)), 40_000));
    }
    const res = await Promise.all(writes);
    assert.equal(res.filter((r) => r.ok).length, writes.length);
    assert.equal(await countPrefix(kv, ["m"]), 2700);
    assert.equal(await countPrefix(kv, ["k"]), 200);
    assert.equal(await countPrefix(kv, ["v"]), 40);
    const s = gc.stats();
    assert.equal(s.splits, 0, "no batch had to be split: the bounds held");
    assert.ok(s.largestBatch <= 100, `largest batch ${s.largestBatch}`);
  } finally {
    kv.close();
  }
});

Deno.test("POST fire and /trigger_api on a real server keep 2,000 firings over 50 connections", async () => {
  const server = await startServer();
  try {
    const trigName = name("served");
    const created = await fetch(`${server.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: trigName, type: "api" }),
    });
    assert.equal(created.status, 201);
    const trigger = await created.json();
    const N = 2000;
    let next = 0;
    const ids: string[] = [];
    const bad: number[] = [];
    await Promise.all(Array.from({ length: 50 }, async () => {
      while (next < N) {
        const n = next++;
        const res = n % 2 === 0
          ? await fetch(`${server.url}/api/triggers/${trigger.id}/fire`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ n }),
          })
          : await fetch(`${server.url}/trigger_api?trigger_name=${trigName}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ n }),
          });
        const body = await res.json();
        if (n % 2 === 0 && res.status === 202) ids.push(body.id);
        else if (n % 2 === 1 && res.status === 200) ids.push(`legacy-${n}`);
        else bad.push(res.status);
      }
    }));
    assert.deepEqual(bad, []);
    assert.equal(ids.length, N);
    assert.equal(new Set(ids).size, N);

    // Count the stored entries of this trigger page by page.
    const seen = new Set<string>();
    const payloads = new Set<number>();
    let cursor: string | null = null;
    do {
      const q: string = `trigger=${trigger.id}&limit=500${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await (await fetch(`${server.url}/api/logs?${q}`)).json();
      for (const l of page.items) {
        seen.add(l.id);
        payloads.add(l.payload.n);
      }
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(seen.size, N);
    assert.equal(payloads.size, N);
    const after = await (await fetch(`${server.url}/api/triggers/${trigger.id}`)).json();
    assert.equal(after.runCount, N);
  } finally {
    await server.stop();
  }
});

Deno.test("GroupCommitter merges calls on one key in a shared commit without changing the result", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await kv.set(["mixed"], new Deno.KvU64(10n));
    await kv.set(["gone"], "here");
    const gc = new GroupCommitter(kv);
    const writes = [
      gc.submit((op) => op.sum(["count"], 1n).max(["last"], 5n).min(["first"], 5n), 10),
      gc.submit((op) => op.sum(["count"], 2n).max(["last"], 9n).min(["first"], 3n), 10),
      gc.submit((op) => op.sum(["count"], 0xffff_ffff_ffff_ffffn).max(["last"], 7n), 10), // -1
      gc.submit((op) => op.set(["name"], "a").set(["mixed"], new Deno.KvU64(1n)), 10),
      gc.submit((op) => op.set(["name"], "b").sum(["mixed"], 2n).delete(["gone"]), 10),
      gc.submit((op) => op.set(["gone"], "back").sum(["mixed"], 4n), 10),
      gc.submit((op) => op.sum(["part", 1], 1n).sum(["part", "1"], 10n), 10),
      gc.submit((op) => op.sum(["part", 1], 2n).sum(["part", 1n], 100n), 10),
    ];
    assert.deepEqual((await Promise.all(writes)).map((r) => r.ok), Array(8).fill(true));
    assert.equal(gc.stats().commits, 1, "writes of one tick share one commit");
    assert.equal(gc.pending, 0);
    await gc.idle(); // nothing queued or in flight: resolves at once
    const value = async (key: Deno.KvKey) => {
      const v = (await kv.get(key)).value;
      return v instanceof Deno.KvU64 ? v.value : v;
    };
    assert.equal(await value(["count"]), 2n);
    assert.equal(await value(["last"]), 9n);
    assert.equal(await value(["first"]), 3n);
    assert.equal(await value(["name"]), "b");
    assert.equal(await value(["mixed"]), 7n, "set, then the sums after it, in order");
    assert.equal(await value(["gone"]), "back", "delete, then the set after it");
    assert.equal(await value(["part", 1]), 3n, "keys differing only in part types stay apart");
    assert.equal(await value(["part", "1"]), 10n);
    assert.equal(await value(["part", 1n]), 100n);
  } finally {
    kv.close();
  }
});

Deno.test("two instances on one KV file keep every one of 2,000 concurrent firings", async () => {
  const first = await startServer();
  const second = await startServer({ kvPath: first.kvPath });
  try {
    const created = await fetch(`${first.url}/api/triggers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: name("shared"), type: "api" }),
    });
    const trigger = await created.json();
    const N = 2000;
    let next = 0;
    const ids = new Set<string>();
    const bad: string[] = [];
    await Promise.all(Array.from({ length: 50 }, async (_, c) => {
      const base = c % 2 === 0 ? first.url : second.url;
      while (next < N) {
        const n = next++;
        const res = await fetch(`${base}/api/triggers/${trigger.id}/fire`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ n }),
        });
        const body = await res.json();
        if (res.status === 202) ids.add(body.id);
        else bad.push(`${res.status} ${JSON.stringify(body)}`);
      }
    }));
    assert.deepEqual(bad, []);
    assert.equal(ids.size, N);
    const after = await (await fetch(`${second.url}/api/triggers/${trigger.id}`)).json();
    assert.equal(after.runCount, N);
  } finally {
    await second.stop();
    await first.stop();
  }
  const kv = await Deno.openKv(first.kvPath);
  try {
    assert.equal(await countPrefix(kv, keys.logsPrefix()), 2000);
  } finally {
    kv.close();
  }
});

Deno.test("GroupCommitter never lets two writers in one batch pass checks on the same key", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const gc = new GroupCommitter(kv);
    // 50 writers in one tick race to claim one key (check-and-set), interleaved with plain
    // writes; and 20 writers check a key that another member of the same tick sets.
    const claims = Array.from(
      { length: 50 },
      (_, i) =>
        gc.submit((op) => op.check({ key: ["claim"], versionstamp: null }).set(["claim"], i), 8),
    );
    const plain = Array.from({ length: 50 }, (_, i) => gc.submit((op) => op.set(["p", i], i), 8));
    const before = await kv.get(["guarded"]);
    const setter = gc.submit((op) => op.set(["guarded"], "changed"), 8);
    const guarded = Array.from(
      { length: 20 },
      (_, i) => gc.submit((op) => op.check(before).set(["g", i], i), 8),
    );
    const claimResults = await Promise.all(claims);
    assert.equal(claimResults.filter((r) => r.ok).length, 1, "exactly one claim wins");
    assert.ok((await Promise.all(plain)).every((r) => r.ok));
    const set = await setter;
    assert.ok(set.ok);
    const guardedResults = await Promise.all(guarded);
    const won = (await kv.get(["claim"])).value as number;
    assert.ok(won >= 0 && won < 50);
    assert.equal(
      guardedResults.filter((r) => r.ok).length,
      await countPrefix(kv, ["g"]),
    );
    // Two commits may be in flight, so a guarded writer may commit before the setter (its
    // check then held) but never after it: versionstamps order the commits.
    for (const r of guardedResults) {
      if (r.ok) {
        assert.ok(r.versionstamp < set.versionstamp, "a check passed after its key changed");
      }
    }
  } finally {
    kv.close();
  }
});

Deno.test("GroupCommitter lets writers that only check one key share a commit, and checks it once", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await kv.set(["def"], 1);
    const def = await kv.get(["def"]);
    const gc = new GroupCommitter(kv);
    // 200 writers check the same key (more than KV's 100 checks per commit if not merged).
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => gc.submit((op) => op.check(def).set(["f", i], i), 8)),
    );
    assert.ok(results.every((r) => r.ok));
    const s = gc.stats();
    assert.ok(s.commits <= 4, `200 check-only writers in ${s.commits} commits`);
    assert.equal(s.splits, 0);
    // A writer that writes the checked key never shares with those checking it.
    const stale = await kv.get(["def"]);
    const bump = gc.submit((op) => op.check(stale).set(["def"], 2), 8);
    const after = Array.from(
      { length: 10 },
      (_, i) => gc.submit((op) => op.check(stale).set(["g", i], i), 8),
    );
    assert.ok((await bump).ok);
    assert.equal((await Promise.all(after)).filter((r) => r.ok).length, 0);
    assert.equal(await countPrefix(kv, ["g"]), 0);
  } finally {
    kv.close();
  }
});
