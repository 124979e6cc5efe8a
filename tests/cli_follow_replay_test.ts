/**
 * `tock logs --follow` across a reconnect whose replay the server serves in bounded slices
 * (`replay-paused`): the CLI goes on from each pause at once and prints every missed firing
 * once, in order. The server runs in this process so its replay bound can be set small.
 */
import assert from "node:assert/strict";
import { createApp } from "../http/app.ts";
import type { LogEntry } from "../core/schemas.ts";
import { tock } from "./helpers/cli.ts";
import { testApp, uniqueName } from "./helpers/app.ts";
import { waitFor } from "./helpers/server.ts";

/** `tock logs --follow --json` against `url`, what it prints gathered as it comes. */
function follow(url: string) {
  const stop = new AbortController();
  let out = "";
  let err = "";
  const done = tock(["logs", "--follow", "--json", "--url", url], {
    signal: stop.signal,
    onStdout: (s) => out += s,
    onStderr: (s) => err += s,
  });
  return { stop, done, out: () => out, err: () => err };
}

Deno.test("tock logs --follow prints a paused replay whole after a reconnect", async () => {
  await using t = await testApp();
  // The streams of `app` end when `cut` aborts; requests then go to a fresh app.
  let cut = new AbortController();
  const build = () => createApp(t.deps, { eventsReplayMax: 5, shutdown: cut.signal });
  let app = build();
  // While closed, a (re)connecting event stream waits here, so the firings below are all missed.
  let gate = Promise.resolve();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    if (new URL(req.url).pathname === "/api/events") await gate;
    return app.fetch(req);
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  const cli = follow(url);
  const lines = () => cli.out().split("\n").filter(Boolean).map((l) => JSON.parse(l) as LogEntry);
  try {
    await waitFor(() => cli.err().includes("Following firings"), 15_000, "the stream");
    const trig = await t.call("POST", "/api/triggers", { name: uniqueName("f"), type: "api" });
    const fire = async (i: number) =>
      (await t.call("POST", `/api/triggers/${trig.body.id}/fire`, { i })).body.id as string;
    const first = await fire(0);
    await waitFor(() => lines().length === 1, 15_000, "the live firing");
    // Cut the stream; 12 firings land while the CLI is away (its replay: 5 + 5 + 2).
    const open = Promise.withResolvers<void>();
    gate = open.promise;
    cut.abort();
    cut = new AbortController();
    app = build();
    const missed = [];
    for (let i = 1; i <= 12; i++) missed.push(await fire(i));
    open.resolve();
    await waitFor(() => lines().length === 13, 15_000, "the replayed firings");
    assert.deepEqual(lines().map((l) => l.id), [first, ...missed]);
    // The cut is reported once; the two pauses are not interruptions.
    assert.equal(
      cli.err().match(/Event stream ended|Event stream interrupted/g)?.length,
      1,
      cli.err(),
    );
  } finally {
    cli.stop.abort();
    cut.abort();
    assert.equal((await cli.done).code, 0);
    await server.shutdown();
  }
});

Deno.test("tock logs --follow waits for a place when every event stream is taken (503)", async () => {
  await using t = await testApp({ config: { maxEventStreams: 1 } });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, t.app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  // The one place, taken by another client until it leaves.
  const other = new AbortController();
  const held = await fetch(`${url}/api/events`, { signal: other.signal });
  assert.equal(held.status, 200);
  const cli = follow(url);
  try {
    await waitFor(() => /Too many event streams.*reconnecting/.test(cli.err()), 15_000, "a 503");
    await held.body?.cancel();
    other.abort();
    await waitFor(() => cli.err().includes("Following firings"), 15_000, "the place to free up");
    const trig = await t.call("POST", "/api/triggers", { name: uniqueName("busy"), type: "api" });
    const fired = await t.call("POST", `/api/triggers/${trig.body.id}/fire`, { n: 1 });
    await waitFor(() => cli.out().includes(fired.body.id), 15_000, "the firing");
  } finally {
    cli.stop.abort();
    other.abort();
    assert.equal((await cli.done).code, 0, cli.err());
    await server.shutdown();
  }
});
