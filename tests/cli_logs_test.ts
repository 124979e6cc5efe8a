/**
 * `tock logs` (list and --follow) and `tock test` in-process against a real server started
 * once for the file; webhooks go to a receiver served by this test.
 */
import assert from "node:assert/strict";
import type { LogEntry, Trigger } from "../core/schemas.ts";
import { closedPort, tock, tockJson, uniq } from "./helpers/cli.ts";
import { type RunningServer, startServer, waitFor } from "./helpers/server.ts";

let server: RunningServer;
let dir: string;
/** The receiver answers 200 to each delivery once `release` resolves (at once by default). */
let release: Promise<void> = Promise.resolve();
let receiver: Deno.HttpServer<Deno.NetAddr>;
Deno.test.beforeAll(async () => {
  server = await startServer();
  dir = await Deno.makeTempDir({ prefix: "tock-cli-" });
  receiver = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    await req.body?.cancel();
    await release;
    return new Response("ok");
  });
});
Deno.test.afterAll(async () => {
  await Promise.all([server.stop(), receiver.shutdown()]);
  await Deno.remove(dir, { recursive: true });
});

async function createApi(name: string): Promise<Trigger> {
  const res = await fetch(`${server.url}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, type: "api" }),
  });
  assert.equal(res.status, 201);
  return await res.json();
}

async function fireViaApi(id: string, payload: unknown): Promise<LogEntry> {
  const res = await fetch(`${server.url}/api/triggers/${id}/fire`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  assert.equal(res.status, 202);
  return await res.json();
}

/** `tock logs --follow <args>` running in-process, its output readable as it comes. */
function follow(args: string[]) {
  const stop = new AbortController();
  let out = "";
  let err = "";
  const done = tock(["logs", "--follow", ...args], {
    signal: stop.signal,
    onStdout: (s) => out += s,
    onStderr: (s) => err += s,
  });
  return {
    /** Waits until stdout (or stderr) has a line matching `re`, and returns it. */
    line: (re: RegExp, from: "out" | "err" = "out") =>
      waitFor(
        () => (from === "out" ? out : err).split("\n").find((l) => re.test(l)),
        15_000,
        `${re}`,
      ),
    async stop() {
      stop.abort();
      return await done;
    },
  };
}

Deno.test("tock logs lists firings, filtered, and --follow streams new ones", async (t) => {
  const url = server.url;
  const a = await createApi(uniq("logs-a"));
  const b = await createApi(uniq("logs-b"));
  const first = await fireViaApi(a.id, { x: 2 });
  const second = await fireViaApi(b.id, { ref: "main" });

  await t.step("logs lists entries newest first, as JSON or a table", async () => {
    const [all, mine, archived, table] = await Promise.all([
      tockJson<LogEntry[]>(url, ["logs"]),
      tockJson<LogEntry[]>(url, ["logs", "--trigger", a.name, "--state", "active"]),
      tockJson<LogEntry[]>(url, ["logs", "--state", "archived"]),
      tock(["logs", "--url", url, "--limit", "1"]),
    ]);
    assert.deepEqual(all.map((e) => e.id).slice(0, 2), [second.id, first.id]);
    assert.deepEqual(mine.map((e) => e.id), [first.id]);
    assert.deepEqual(archived, []);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^FIRED AT +TRIGGER +SOURCE +OUTCOME +LATE +STATE +ID$/);
    assert.match(lines[1], new RegExp(`^${second.firedAt}  ${b.name}  api `));
    assert.ok(lines[1].endsWith(second.id));
  });

  await t.step("logs --follow streams new firings, filtered, until stopped", async () => {
    const f = follow(["--json", "--trigger", b.name, "--url", url]);
    await f.line(/^Following firings/, "err");
    await fireViaApi(a.id, { skipped: true });
    const log = await fireViaApi(b.id, { ref: "v2" });
    const streamed = JSON.parse(await f.line(/\S/)) as LogEntry;
    assert.equal(streamed.id, log.id);
    assert.equal(streamed.triggerName, b.name);
    assert.deepEqual(streamed.payload, { ref: "v2" });
    assert.equal((await f.stop()).code, 0);
  });
});

Deno.test("tock logs --follow reconnects after a server restart without repeating entries", async () => {
  const own = await startServer();
  let restarted: RunningServer | undefined;
  const t = await (await fetch(`${own.url}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "restart-probe", type: "api" }),
  })).json() as Trigger;
  const fire = async (n: number) =>
    (await (await fetch(`${own.url}/api/triggers/${t.id}/fire`, {
      method: "POST",
      body: JSON.stringify({ n }),
      headers: { "content-type": "application/json" },
    })).json()) as LogEntry;
  const f = follow(["--url", own.url]);
  try {
    const header = await f.line(/^FIRED AT/);
    assert.match(header, /^FIRED AT {18}TRIGGER {19}SOURCE {4}OUTCOME {3}LATE {6}STATE {5}ID$/);
    await f.line(/^Following firings/, "err");
    const first = await fire(1);
    const row = await f.line(/restart-probe/);
    assert.ok(row.startsWith(`${first.firedAt}  restart-probe`), row);
    assert.ok(row.endsWith(first.id), row);

    await own.stop();
    restarted = await startServer({ port: own.port, kvPath: own.kvPath });
    await f.line(/^Reconnected to/, "err");
    const second = await fire(2);
    await f.line(new RegExp(second.id));
    const r = await f.stop();
    assert.equal(r.code, 0);
    const rows = r.stdout.trimEnd().split("\n").slice(1);
    assert.deepEqual(rows.map((l) => l.split(/\s+/).at(-1)), [first.id, second.id]);
  } finally {
    await f.stop();
    await (restarted ?? own).stop();
  }
});

Deno.test("tock test fires a definition once without saving it", async (t) => {
  const url = server.url;
  await t.step("from a file or stdin, printing the entry and the next runs", async () => {
    await Deno.writeTextFile(
      `${dir}/probe.json`,
      JSON.stringify({ name: "probe", schedule: { cron: "*/5 * * * *" }, payload: { a: 1 } }),
    );
    const result = await tockJson<{ log: LogEntry; occurrences: string[] }>(
      url,
      ["test", "probe.json"],
      { cwd: dir },
    );
    assert.equal(result.log.test, true);
    assert.equal(result.log.source, "test");
    assert.equal(result.log.triggerId, null);
    assert.equal(result.log.triggerName, "probe");
    assert.deepEqual(result.log.payload, { a: 1 });
    assert.equal(result.occurrences.length, 5);
    for (const o of result.occurrences) assert.equal(Date.parse(o) % 300_000, 0);

    const stdin = await tock(["test", "-", "--payload", '{"b":2}', "--url", url], {
      stdin: JSON.stringify({ name: "probe-api", type: "api" }),
    });
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.match(stdin.stdout, /^Test firing of "probe-api" \(nothing saved\)$/m);
    assert.match(stdin.stdout, /^payload +\{"b":2\}$/m);
    assert.match(stdin.stdout, /^No upcoming runs$/m);
    const names = (await tockJson<Trigger[]>(url, ["triggers", "list"])).map((x) => x.name);
    assert.ok(!names.includes("probe") && !names.includes("probe-api"), names.join());
  });

  const hook = (webhookUrl: string) =>
    JSON.stringify({ name: "hooked", type: "api", webhook: { url: webhookUrl, retries: 0 } });

  await t.step("waits for the webhook delivery and exits 0 when it succeeded", async () => {
    const r = await tock(["test", "-", "--url", url, "--json"], {
      stdin: hook(`http://127.0.0.1:${receiver.addr.port}/hook`),
    });
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout).log as LogEntry;
    assert.equal(log.outcome, "ok");
    assert.equal(log.delivery?.status, 200);
  });

  await t.step("exits 1 when the delivery failed", async () => {
    const r = await tock(["test", "-", "--url", url], {
      stdin: hook(`http://127.0.0.1:${closedPort()}/hook`),
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^outcome +failed$/m);
    assert.match(r.stderr, /^error: the webhook delivery failed/m);
  });

  await t.step("exits 1 when the delivery is still pending after --wait", async () => {
    const gate = Promise.withResolvers<void>();
    release = gate.promise;
    try {
      const r = await tock(["test", "-", "--url", url, "--wait", "300ms"], {
        stdin: hook(`http://127.0.0.1:${receiver.addr.port}/hook`),
      });
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^outcome +pending$/m);
      assert.equal(
        r.stderr,
        "error: the webhook delivery was still pending after 300ms (--wait)\n",
      );
    } finally {
      gate.resolve();
      release = Promise.resolve();
    }
  });
});
