/**
 * The `tock` command line: pure parts (plan, file validation, SSE, tables) in-process, and
 * every subcommand as a real subprocess against a real server on a free port.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runCli } from "../cli/main.ts";
import { planApply } from "../cli/plan.ts";
import { parseTriggerFile, SpecError, type TriggerSpec } from "../cli/spec.ts";
import { readEvents } from "../cli/sse.ts";
import { table } from "../cli/table.ts";
import type { LogEntry, Trigger } from "../schemas.ts";
import { startServer } from "./helpers/server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = "main.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tock <args>` as a subprocess of the root entry point, the way operators do. */
async function tock(
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** `tock <args> --url <url> --json`, asserting exit 0 and parsing stdout. */
async function tockJson<T>(url: string, args: string[]): Promise<T> {
  const r = await tock([...args, "--url", url, "--json"]);
  assert.equal(r.code, 0, `tock ${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function uniq(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

async function tempJson(value: unknown): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

// ---------------------------------------------------------------------------------------------
// Pure parts

function stored(over: Partial<Trigger> & { name: string }): Trigger {
  return {
    id: `01JDX${over.name.toUpperCase().padEnd(21, "0").slice(0, 21)}`,
    type: "scheduled",
    schedule: { cron: "0 3 * * *", timezone: "UTC" },
    payload: null,
    payloadSchema: null,
    webhook: null,
    misfire: "fire_once",
    status: "active",
    nextRunAt: null,
    lastRunAt: null,
    runCount: 0,
    createdAt: "2026-11-29T10:00:00.000Z",
    updatedAt: "2026-11-29T10:00:00.000Z",
    version: 1,
    ...over,
  };
}

/** A webhook as the API stores one given only its URL. */
const WEBHOOK = {
  url: "http://127.0.0.1:9/hook",
  method: "POST" as const,
  headers: {},
  timeoutMs: 10000,
  retries: 3,
  backoffMs: 1000,
};

Deno.test("planApply() counts stored normal forms as no change", () => {
  const desired: TriggerSpec[] = [
    { name: "delay", schedule: { delaySeconds: 30 } },
    { name: "every", schedule: { everySeconds: 60 } },
    { name: "cron", schedule: { cron: " 0  3 * * * " }, payload: { b: 1, a: [1, 2] } },
    {
      name: "hook",
      type: "api",
      webhook: WEBHOOK,
    },
    { name: "at", schedule: { at: "2030-01-01T01:00:00+01:00" }, status: "active" },
  ];
  const current = [
    stored({ name: "delay", schedule: { at: "2026-11-29T10:00:30.000Z" } }),
    stored({ name: "every", schedule: { everySeconds: 60, startAt: "2026-11-29T10:01:00.000Z" } }),
    stored({ name: "cron", payload: { a: [1, 2], b: 1 } }),
    stored({
      name: "hook",
      type: "api",
      schedule: null,
      webhook: WEBHOOK,
    }),
    stored({ name: "at", schedule: { at: "2030-01-01T00:00:00.000Z" } }),
  ];
  const plan = planApply(desired, current, { prune: false });
  assert.deepEqual(plan.map((c) => [c.action, c.name]), [
    ["unchanged", "delay"],
    ["unchanged", "every"],
    ["unchanged", "cron"],
    ["unchanged", "hook"],
    ["unchanged", "at"],
  ]);
});

Deno.test("planApply() patches only changed fields, pauses, resumes and prunes", () => {
  const desired: TriggerSpec[] = [
    { name: "a", schedule: { cron: "0 4 * * *" }, misfire: "fire_once" },
    { name: "b", schedule: { cron: "0 3 * * *" }, status: "paused" },
    { name: "c", schedule: { cron: "0 3 * * *" } },
    { name: "new", type: "api", payload: { x: 1 } },
    { name: "every", schedule: { everySeconds: 60, startAt: "2026-11-29T10:00:00.000Z" } },
  ];
  const current = [
    stored({ name: "a", payload: null }),
    stored({ name: "b" }),
    stored({ name: "c", status: "paused", payload: { old: true } }),
    stored({ name: "every", schedule: { everySeconds: 60, startAt: "2026-11-29T10:01:00.000Z" } }),
    stored({ name: "gone" }),
  ];
  const keep = planApply(desired, current, { prune: false });
  assert.deepEqual(keep.map((c) => ({ ...c, id: undefined })), [
    {
      action: "update",
      name: "a",
      index: 0,
      id: undefined,
      patch: { schedule: { cron: "0 4 * * *" } },
      status: undefined,
    },
    { action: "update", name: "b", index: 1, id: undefined, patch: {}, status: "pause" },
    {
      action: "update",
      name: "c",
      index: 2,
      id: undefined,
      patch: { payload: null },
      status: "resume",
    },
    { action: "create", name: "new", index: 3, body: desired[3], id: undefined },
    {
      action: "update",
      name: "every",
      index: 4,
      id: undefined,
      patch: { schedule: desired[4].schedule },
      status: undefined,
    },
    { action: "keep", name: "gone", id: undefined },
  ]);
  const prune = planApply(desired, current, { prune: true });
  assert.deepEqual(prune.at(-1), { action: "delete", name: "gone", id: current[4].id });
});

Deno.test("planApply() leaves the status of a completed trigger alone", () => {
  const plan = planApply(
    [{ name: "once", schedule: { at: "2026-11-29T10:00:00.000Z" } }],
    [stored({ name: "once", status: "completed", schedule: { at: "2026-11-29T10:00:00.000Z" } })],
    { prune: false },
  );
  assert.equal(plan[0].action, "unchanged");
});

Deno.test("parseTriggerFile() names the entry and field of every problem", () => {
  const text = JSON.stringify({
    version: 1,
    triggers: [
      { name: "ok", schedule: { cron: "0 3 * * *" } },
      { name: "ok " },
      { name: "bad-cron", schedule: { cron: "nope" } },
      { name: "bad-tz", schedule: { cron: "0 3 * * *", timezone: "Mars/Olympus" }, extra: 1 },
    ],
  });
  let error: SpecError | undefined;
  try {
    parseTriggerFile(text, "t.json");
  } catch (err) {
    error = err as SpecError;
  }
  assert.ok(error instanceof SpecError);
  assert.deepEqual(error.problems, [
    'triggers[1].name: Duplicate name "ok" (also triggers[0])',
    "triggers[2].schedule.cron: Expected 5 fields (or 6 with seconds first), got 1",
    "triggers[3].schedule.timezone: Unknown IANA time zone",
    'triggers[3].extra: Unknown field "extra"',
  ]);
  assert.throws(
    () => parseTriggerFile('{"version":2,"triggers":[]}', "t.json"),
    (e: unknown) => e instanceof SpecError && e.problems[0] === "version: Expected 1",
  );
  assert.throws(
    () => parseTriggerFile("{", "t.json"),
    (e: unknown) => e instanceof SpecError && e.problems[0].startsWith("Not valid JSON"),
  );
});

Deno.test("readEvents() parses events split across chunks, CRLF, comments and multi-line data", async () => {
  const chunks = [
    ": keep-alive\r\n\r\nevent: fi",
    'red\r\ndata: {"a":\r',
    "\ndata: 1}\r\nid: 7\r\n\r\n",
    "data: x\n\n",
  ];
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
      c.close();
    },
  });
  const events = [];
  for await (const e of readEvents(body)) events.push(e);
  assert.deepEqual(events, [
    { event: "fired", data: '{"a":\n1}', id: "7" },
    { event: "message", data: "x", id: "7" },
  ]);
});

Deno.test("table() aligns columns and leaves no trailing blanks", () => {
  assert.equal(
    table(["ID", "NAME", "X"], [["1", "long-name", ""], ["22", "n", "y"]]),
    "ID  NAME       X\n1   long-name\n22  n          y",
  );
});

Deno.test("runCli() prints help with an example for every command and rejects bad usage with 2", async () => {
  const commands = [
    "",
    "triggers",
    "triggers list",
    "triggers get",
    "triggers create",
    "triggers update",
    "triggers delete",
    "triggers pause",
    "triggers resume",
    "triggers fire",
    "logs",
    "test",
    "export",
    "apply",
  ];
  for (const command of commands) {
    let out = "";
    const args = command === "" ? ["help"] : [...command.split(" "), "--help"];
    const code = await runCli(args, { stdout: (s) => out += s, stderr: () => {}, env: {} });
    assert.equal(code, 0, command);
    assert.match(out, /^Usage: tock/m, command);
    assert.match(out, /^Examples?:\n {2}tock /m, command);
  }
  const usage: [string[], RegExp][] = [
    [["triggers"], /Missing subcommand/],
    [["triggers", "nope"], /Unknown command "triggers nope"/],
    [["triggers", "get"], /Missing trigger id or name/],
    [["triggers", "get", "a", "b"], /Unexpected argument "b"/],
    [["logs", "--state", "bogus"], /--state: expected active, archived, all; got "bogus"/],
    [["logs", "--nope"], /Unknown option '--nope'/],
    [["triggers", "create", "x", "--every", "0"], /--every: expected a positive number/],
    [["triggers", "create", "x", "--cron", "* * * * *", "--every", "5"], /Give one of/],
    [["triggers", "create", "x", "--payload", "{"], /--payload: not valid JSON/],
    [["triggers", "list", "--url", "ftp://x"], /--url: expected an http\(s\) URL/],
    [["apply", "/nonexistent/triggers.json"], /Cannot read "\/nonexistent\/triggers.json"/],
    [["help", "bogus"], /Unknown command "bogus"/],
  ];
  for (const [args, message] of usage) {
    let err = "";
    const code = await runCli(args, { stdout: () => {}, stderr: (s) => err += s, env: {} });
    assert.equal(code, 2, args.join(" "));
    assert.match(err, message, args.join(" "));
    assert.match(err, /Run "tock .*--help" for usage/);
  }
});

// ---------------------------------------------------------------------------------------------
// Subcommands against a real server

/** Lines of a subprocess's output, awaited one match at a time with a deadline. */
class LineReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line that `match` accepts; lines before it are dropped. */
  async until(match: (line: string) => boolean, what: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const lines = this.#buffer.split("\n");
      for (let i = 0; i < lines.length - 1; i++) {
        if (match(lines[i])) {
          this.#buffer = lines.slice(i + 1).join("\n");
          return lines[i];
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}; got: ${this.#buffer}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        this.#reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error(`Output ended while waiting for ${what}: ${this.#buffer}`);
      this.#buffer += chunk.value;
    }
  }

  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }
}

/** `tock logs --follow <args>` as a long-running subprocess with line readers on its output. */
function spawnFollow(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY, "logs", "--follow", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = new LineReader(child.stdout);
  const err = new LineReader(child.stderr);
  return {
    child,
    out,
    err,
    /** Kills it if it still runs and releases its pipes. */
    async dispose() {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await out.cancel();
      await err.cancel();
      await child.status;
    },
  };
}

/** Fires a trigger through the HTTP API directly (no subprocess), returning the log entry. */
async function fireViaApi(url: string, id: string, payload: unknown): Promise<LogEntry> {
  const res = await fetch(`${url}/api/triggers/${id}/fire`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  assert.equal(res.status, 202);
  return (await res.json()) as LogEntry;
}

/** A port nothing listens on: bound, then released. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("tock triggers, logs and test against a running server", async (t) => {
  const server = await startServer();
  const url = server.url;
  const name = uniq("nightly");
  const apiName = uniq("deploy");
  let id = "";
  let apiId = "";
  try {
    await t.step(
      "triggers create prints a confirmation, or the stored trigger with --json",
      async () => {
        const r = await tock([
          "triggers",
          "create",
          name,
          "--cron",
          "0 3 * * *",
          "--timezone",
          "Asia/Kolkata",
          "--payload",
          '{"k":1}',
          "--url",
          url,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const m = /^Created trigger "(.+)" \(([0-9A-Z]{26})\)\n$/.exec(r.stdout);
        assert.ok(m, r.stdout);
        assert.equal(m[1], name);
        id = m[2];
        const api = await tockJson<Trigger>(url, [
          "triggers",
          "create",
          "--name",
          apiName,
          "--type",
          "api",
          "--payload-schema",
          '{"type":"object","required":["ref"]}',
          "--webhook",
          "http://127.0.0.1:9/hook",
          "--webhook-header",
          "X-Team: ops",
        ]);
        apiId = api.id;
        assert.equal(api.name, apiName);
        assert.equal(api.type, "api");
        assert.equal(api.schedule, null);
        assert.equal(api.status, "active");
        assert.equal(api.version, 1);
        assert.deepEqual(api.payloadSchema, { type: "object", required: ["ref"] });
        assert.deepEqual(api.webhook, { ...WEBHOOK, headers: { "X-Team": "ops" } });
      },
    );

    await t.step("triggers get finds a trigger by name and by id", async () => {
      const [byName, byId] = await Promise.all([
        tockJson<Trigger>(url, ["triggers", "get", name]),
        tockJson<Trigger>(url, ["triggers", "get", id]),
      ]);
      assert.deepEqual(byName, byId);
      assert.equal(byName.id, id);
      assert.equal(byName.type, "scheduled");
      assert.deepEqual(byName.schedule, { cron: "0 3 * * *", timezone: "Asia/Kolkata" });
      assert.deepEqual(byName.payload, { k: 1 });
      assert.equal(byName.misfire, "fire_once");
      assert.equal(byName.runCount, 0);
      const r = await tock(["triggers", "get", name, "--url", url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^name +${name}$`, "m"));
      assert.match(r.stdout, /^schedule +cron 0 3 \* \* \* Asia\/Kolkata$/m);
      assert.match(r.stdout, new RegExp(`^next run +${byName.nextRunAt}$`, "m"));
    });

    await t.step(
      "triggers list prints an aligned table, or every trigger with --json",
      async () => {
        const [all, apis, table] = await Promise.all([
          tockJson<Trigger[]>(url, ["triggers", "list"]),
          tockJson<Trigger[]>(url, ["triggers", "list", "--type", "api"]),
          tock(["triggers", "list"], { env: { TOCK_URL: url } }),
        ]);
        assert.deepEqual(all.map((x) => x.name).sort(), [apiName, name].sort());
        assert.deepEqual(apis.map((x) => x.id), [apiId]);
        assert.equal(table.code, 0, table.stderr);
        const lines = table.stdout.trimEnd().split("\n");
        assert.equal(lines.length, 3);
        assert.match(lines[0], /^ID {26}NAME +TYPE +STATUS +SCHEDULE +NEXT RUN +RUNS$/);
        const nameCol = lines[0].indexOf("NAME");
        for (const row of lines.slice(1)) {
          assert.match(row.slice(nameCol), new RegExp(`^(${name}|${apiName}) `));
        }
        assert.ok(lines.some((l) => l.includes("cron 0 3 * * * Asia/Kolkata")));
      },
    );

    await t.step("triggers update changes only the given fields", async () => {
      const updated = await tockJson<Trigger>(url, ["triggers", "update", name, "--every", "3600"]);
      assert.equal(updated.id, id);
      assert.equal((updated.schedule as { everySeconds: number }).everySeconds, 3600);
      assert.deepEqual(updated.payload, { k: 1 });
      assert.equal(updated.version, 2);
      const r = await tock(["triggers", "update", id, "--misfire", "skip", "--url", url]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Updated trigger "${name}" (${id})\n`);
    });

    await t.step("triggers pause and resume change the status", async () => {
      const paused = await tockJson<Trigger>(url, ["triggers", "pause", name]);
      assert.equal(paused.status, "paused");
      const listed = await tockJson<Trigger[]>(url, ["triggers", "list", "--status", "paused"]);
      assert.deepEqual(listed.map((x) => x.id), [id]);
      const r = await tock(["triggers", "resume", name, "--url", url]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Resumed trigger "${name}" (${id})\n`);
      const got = await tockJson<Trigger>(url, ["triggers", "get", id]);
      assert.equal(got.status, "active");
    });

    let manual: LogEntry;
    let fired: LogEntry;
    await t.step("triggers fire returns the log entry and logs lists it", async () => {
      manual = await tockJson<LogEntry>(url, ["triggers", "fire", name, "--payload", '{"x":2}']);
      assert.equal(manual.triggerId, id);
      assert.equal(manual.triggerName, name);
      assert.equal(manual.source, "manual");
      assert.equal(manual.test, false);
      assert.equal(manual.scheduledFor, null);
      assert.deepEqual(manual.payload, { x: 2 });
      fired = await tockJson<LogEntry>(url, [
        "triggers",
        "fire",
        apiId,
        "--payload",
        '{"ref":"main"}',
      ]);
      assert.equal(fired.source, "api");
      assert.equal(fired.triggerName, apiName);

      const [all, mine, archived, table] = await Promise.all([
        tockJson<LogEntry[]>(url, ["logs"]),
        tockJson<LogEntry[]>(url, ["logs", "--trigger", name, "--state", "active"]),
        tockJson<LogEntry[]>(url, ["logs", "--state", "archived"]),
        tock(["logs", "--url", url, "--limit", "1"]),
      ]);
      assert.deepEqual(all.map((e) => e.id), [fired.id, manual.id]);
      assert.deepEqual(mine.map((e) => e.id), [manual.id]);
      assert.deepEqual(archived, []);
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split("\n");
      assert.equal(lines.length, 2);
      assert.match(lines[0], /^FIRED AT +TRIGGER +SOURCE +OUTCOME +LATE +STATE +ID$/);
      assert.match(lines[1], new RegExp(`^${fired.firedAt}  ${apiName}  api `));
      assert.ok(lines[1].endsWith(fired.id));
    });

    await t.step("logs --follow streams new firings, filtered, until interrupted", async () => {
      const follow = spawnFollow(["--json", "--trigger", apiName, "--url", url]);
      try {
        await follow.err.until((l) => l.startsWith("Following firings"), "the stream");
        await fireViaApi(url, id, { skipped: true });
        const log = await fireViaApi(url, apiId, { ref: "v2" });
        const line = await follow.out.until((l) => l.trim() !== "", "a fired event");
        const streamed = JSON.parse(line) as LogEntry;
        assert.equal(streamed.id, log.id);
        assert.equal(streamed.triggerName, apiName);
        assert.deepEqual(streamed.payload, { ref: "v2" });
        follow.child.kill("SIGINT");
        assert.equal((await follow.child.status).code, 0);
      } finally {
        await follow.dispose();
      }
    });

    await t.step("test fires a definition once without saving it", async () => {
      const file = await tempJson({
        name: "probe",
        schedule: { cron: "*/5 * * * *" },
        payload: { a: 1 },
      });
      const result = await tockJson<{ log: LogEntry; occurrences: string[] }>(url, ["test", file]);
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
      assert.deepEqual(names.sort(), [apiName, name].sort());
    });

    await t.step("refusals exit 1 with the title, detail and each field error", async () => {
      const bad = await tempJson({ name: "bad", schedule: { cron: "61 * * * *" } });
      const port = closedPort();
      const [cron, dup, schema, unknown, unknownId, badTest, down] = await Promise.all([
        tock(["triggers", "create", uniq("c"), "--cron", "not a cron", "--url", url]),
        tock(["triggers", "create", name, "--every", "60", "--url", url]),
        tock(["triggers", "fire", apiName, "--payload", '{"nope":1}', "--url", url]),
        tock(["triggers", "get", "no-such-trigger", "--url", url]),
        tock(["triggers", "delete", "01JDX0000000000000000000ZZ", "--url", url]),
        tock(["test", bad, "--url", url]),
        tock(["triggers", "list", "--url", `http://127.0.0.1:${port}`]),
      ]);
      assert.equal(cron.code, 1);
      assert.match(cron.stderr, /^error: .+ \(HTTP 400\)$/m);
      assert.match(
        cron.stderr,
        /^ {2}schedule\.cron: Expected 5 fields \(or 6 with seconds first\), got 3$/m,
      );
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /^error: Conflict \(HTTP 409\)$/m);
      assert.equal(schema.code, 1);
      assert.match(schema.stderr, /^error: .+ \(HTTP 422\)$/m);
      assert.match(schema.stderr, /^ {2}\S*: .*ref/m);
      assert.equal(unknown.code, 1);
      assert.equal(
        unknown.stderr,
        'error: Not found (HTTP 404)\n  No trigger with id or name "no-such-trigger"\n',
      );
      assert.equal(unknownId.code, 1);
      assert.match(unknownId.stderr, /^error: Not found \(HTTP 404\)$/m);
      assert.equal(badTest.code, 1);
      assert.match(
        badTest.stderr,
        /^ {2}schedule\.cron: Invalid cron expression "61 \* \* \* \*"/m,
      );
      assert.equal(down.code, 1);
      assert.match(
        down.stderr,
        new RegExp(`^error: Cannot reach Tock at http://127\\.0\\.0\\.1:${port}$`, "m"),
      );
      assert.equal(down.stdout, "");
    });

    await t.step("triggers delete removes the trigger", async () => {
      const deleted = await tockJson<{ id: string; deleted: boolean }>(url, [
        "triggers",
        "delete",
        name,
      ]);
      assert.deepEqual(deleted, { id, name, deleted: true });
      const r = await tock(["triggers", "get", id, "--url", url]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: Not found \(HTTP 404\)$/m);
    });

    await t.step("triggers create --file reads a definition that flags override", async () => {
      const file = await tempJson({
        name: "from-file",
        schedule: { everySeconds: 60 },
        payload: 1,
      });
      const created = await tockJson<Trigger>(url, [
        "triggers",
        "create",
        "--file",
        file,
        "--name",
        "overridden",
        "--paused",
      ]);
      assert.equal(created.name, "overridden");
      assert.equal(created.status, "paused");
      assert.equal(created.payload, 1);
      assert.equal((created.schedule as { everySeconds: number }).everySeconds, 60);
    });
  } finally {
    await server.stop();
  }
});

Deno.test("tock export and apply keep triggers in a file", async (t) => {
  const server = await startServer();
  const url = server.url;
  const dir = await Deno.makeTempDir();
  const path = `${dir}/triggers.json`;
  const file = {
    version: 1,
    triggers: [
      {
        name: "report",
        schedule: { cron: "0 16 * * *", timezone: "Asia/Kolkata" },
        payload: { r: 1 },
      },
      { name: "poll", schedule: { everySeconds: 3600 } },
      { name: "once", schedule: { delaySeconds: 86400 } },
      {
        name: "hook",
        type: "api",
        payloadSchema: { type: "object" },
        webhook: { url: "http://127.0.0.1:9/hook" },
      },
      { name: "quiet", schedule: { cron: "0 0 1 1 *" }, status: "paused", misfire: "skip" },
    ],
  };
  try {
    await t.step(
      "apply creates every entry; a second apply says there is nothing to do",
      async () => {
        await Deno.writeTextFile(path, JSON.stringify(file, null, 2));
        const first = await tock(["apply", path, "--url", url]);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(
          first.stdout,
          [
            "+ create    report",
            "+ create    poll",
            "+ create    once",
            "+ create    hook",
            "+ create    quiet  (paused)",
            "Applied 5 of 5 change(s): 5 created, 0 updated, 0 deleted; 0 unchanged",
            "",
          ].join("\n"),
        );
        const listed = await tockJson<Trigger[]>(url, ["triggers", "list"]);
        assert.deepEqual(listed.map((x) => x.name).sort(), [
          "hook",
          "once",
          "poll",
          "quiet",
          "report",
        ]);
        assert.equal(listed.find((x) => x.name === "quiet")?.status, "paused");
        assert.equal(listed.find((x) => x.name === "quiet")?.misfire, "skip");

        const second = await tock(["apply", path, "--url", url]);
        assert.equal(second.code, 0, second.stderr);
        assert.equal(second.stdout, `No changes: 5 trigger(s) already match ${path}\n`);
        const json = await tockJson<{ changes: unknown[]; unchanged: number }>(url, [
          "apply",
          path,
        ]);
        assert.deepEqual(json.changes, []);
        assert.equal(json.unchanged, 5);
      },
    );

    let exported: { version: number; triggers: Record<string, unknown>[] };
    await t.step(
      "export writes the create-body fields, and applying the export changes nothing",
      async () => {
        const r = await tock(["export", "--url", url]);
        assert.equal(r.code, 0, r.stderr);
        exported = JSON.parse(r.stdout);
        assert.equal(exported.version, 1);
        assert.deepEqual(exported.triggers.map((x) => x.name), [
          "hook",
          "once",
          "poll",
          "quiet",
          "report",
        ]);
        assert.deepEqual(exported.triggers[0], {
          name: "hook",
          type: "api",
          schedule: null,
          payload: null,
          payloadSchema: { type: "object" },
          webhook: WEBHOOK,
          misfire: "fire_once",
        });
        assert.deepEqual(Object.keys(exported.triggers[1].schedule as object), ["at"]);
        assert.deepEqual(Object.keys(exported.triggers[2].schedule as object), [
          "everySeconds",
          "startAt",
        ]);
        assert.equal(exported.triggers[3].status, "paused");
        assert.deepEqual(exported.triggers[4], {
          name: "report",
          type: "scheduled",
          schedule: { cron: "0 16 * * *", timezone: "Asia/Kolkata" },
          payload: { r: 1 },
          payloadSchema: null,
          webhook: null,
          misfire: "fire_once",
        });

        const out = `${dir}/exported.json`;
        const written = await tock(["export", "--out", out, "--url", url]);
        assert.equal(written.code, 0, written.stderr);
        assert.equal(written.stderr, `Exported 5 trigger(s) to ${out}\n`);
        assert.equal(await Deno.readTextFile(out), r.stdout);
        const again = await tock(["apply", out, "--url", url]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.stdout, `No changes: 5 trigger(s) already match ${out}\n`);
      },
    );

    await t.step("apply --dry-run prints the plan and changes nothing", async () => {
      const edited = structuredClone(file) as typeof file;
      edited.triggers[0].schedule = { cron: "0 17 * * *", timezone: "Asia/Kolkata" };
      delete (edited.triggers[4] as { status?: string }).status;
      edited.triggers.splice(1, 1);
      edited.triggers.push({ name: "fresh", type: "api" } as (typeof file.triggers)[number]);
      await Deno.writeTextFile(path, JSON.stringify(edited));

      const dry = await tock(["apply", path, "--dry-run", "--url", url]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(
        dry.stdout,
        [
          "~ update    report  (schedule)",
          "~ update    quiet  (status)",
          "+ create    fresh",
          "  keep      poll  (not in the file; --prune deletes it)",
          "Dry run: 3 change(s) planned (1 to create, 2 to update, 0 to delete), 2 unchanged; " +
          "nothing was applied",
          "",
        ].join("\n"),
      );
      const pruneDry = await tock(["apply", path, "--dry-run", "--prune", "--url", url]);
      assert.equal(pruneDry.code, 0, pruneDry.stderr);
      assert.match(pruneDry.stdout, /^- delete {4}poll$/m);
      assert.match(
        pruneDry.stdout,
        /^Dry run: 4 change\(s\) planned \(1 to create, 2 to update, 1 to delete\)/m,
      );
      const after = await tock(["export", "--url", url]);
      assert.deepEqual(JSON.parse(after.stdout), exported);
    });

    await t.step("apply --prune applies the plan and deletes what the file lacks", async () => {
      const applied = await tockJson<{
        dryRun: boolean;
        changes: { action: string; name: string; fields?: string[] }[];
        unchanged: number;
        kept: string[];
        failed: unknown[];
      }>(url, ["apply", path, "--prune"]);
      assert.equal(applied.dryRun, false);
      assert.deepEqual(
        applied.changes.map((c) => [c.action, c.name, c.fields ?? []]),
        [
          ["update", "report", ["schedule"]],
          ["update", "quiet", ["status"]],
          ["create", "fresh", []],
          ["delete", "poll", []],
        ],
      );
      assert.equal(applied.unchanged, 2);
      assert.deepEqual(applied.failed, []);
      const listed = await tockJson<Trigger[]>(url, ["triggers", "list"]);
      assert.deepEqual(listed.map((x) => x.name).sort(), [
        "fresh",
        "hook",
        "once",
        "quiet",
        "report",
      ]);
      assert.equal(listed.find((x) => x.name === "quiet")?.status, "active");
      assert.deepEqual(listed.find((x) => x.name === "report")?.schedule, {
        cron: "0 17 * * *",
        timezone: "Asia/Kolkata",
      });
      const again = await tock(["apply", path, "--prune", "--url", url]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, `No changes: 5 trigger(s) already match ${path}\n`);
    });

    await t.step(
      "apply rejects an invalid file, naming entry and field, and changes nothing",
      async () => {
        const bad = await tempJson({
          version: 1,
          triggers: [{ name: "report" }, { name: "x", schedule: { cron: "0 25 * * *" } }, {
            name: "report",
          }],
        });
        const r = await tock(["apply", bad, "--prune", "--url", url]);
        assert.equal(r.code, 2);
        assert.equal(r.stdout, "");
        const lines = r.stderr.trimEnd().split("\n");
        assert.equal(lines[0], `error: ${bad} is not a valid trigger file`);
        assert.match(
          lines[1],
          /^ {2}triggers\[1\]\.schedule\.cron: Invalid cron expression "0 25 \* \* \*"/,
        );
        assert.equal(lines[2], '  triggers[2].name: Duplicate name "report" (also triggers[0])');
        assert.equal(lines.length, 3);
        const listed = await tockJson<Trigger[]>(url, ["triggers", "list"]);
        assert.equal(listed.length, 5);
      },
    );

    await t.step("apply reports a refused change against its entry and exits 1", async () => {
      const refused = await tempJson({
        version: 1,
        triggers: [
          { name: "late", schedule: { cron: "0 3 * * *" }, payloadSchema: { type: "object" } },
          { name: "fine", type: "api" },
        ],
      });
      const r = await tock(["apply", refused, "--url", url]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^ {4}triggers\[0\]\.payloadSchema: Only api triggers take a payload schema$/m,
      );
      assert.match(
        r.stdout,
        /^Applied 1 of 2 change\(s\): 1 created, 0 updated, 0 deleted; 0 unchanged$/m,
      );
    });
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tock sends the API key from --api-key or TOCK_API_KEY", async () => {
  const server = await startServer({ args: ["--api-key", "s3cret"] });
  try {
    const [none, flag, env] = await Promise.all([
      tock(["triggers", "list", "--url", server.url]),
      tock(["triggers", "list", "--json", "--url", server.url, "--api-key", "s3cret"]),
      tock(["triggers", "list", "--json"], {
        env: { TOCK_URL: server.url, TOCK_API_KEY: "s3cret" },
      }),
    ]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^error: Unauthorized \(HTTP 401\)$/m);
    assert.equal(flag.code, 0, flag.stderr);
    assert.deepEqual(JSON.parse(flag.stdout), []);
    assert.equal(env.code, 0, env.stderr);
    assert.deepEqual(JSON.parse(env.stdout), []);
  } finally {
    await server.stop();
  }
});

Deno.test("tock logs --follow reconnects after a server restart without repeating entries", async () => {
  let server = await startServer();
  const { url, port, kvPath } = server;
  const created = await fetch(`${url}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "restart-probe", type: "api" }),
  });
  assert.equal(created.status, 201);
  const tid = ((await created.json()) as Trigger).id;
  const follow = spawnFollow(["--url", url]);
  try {
    const header = await follow.out.until(() => true, "the header");
    assert.match(header, /^FIRED AT {18}TRIGGER {19}SOURCE {4}OUTCOME {3}LATE {6}STATE {5}ID$/);
    await follow.err.until((l) => l.startsWith("Following firings"), "the stream");
    const first = await fireViaApi(url, tid, { n: 1 });
    const row = await follow.out.until((l) => l.trim() !== "", "the first firing");
    assert.ok(row.startsWith(`${first.firedAt}  restart-probe`), row);
    assert.ok(row.endsWith(first.id), row);

    await server.stop();
    server = await startServer({ port, kvPath });
    await follow.err.until((l) => l.startsWith("Reconnected to"), "a reconnection");
    const second = await fireViaApi(url, tid, { n: 2 });
    const next = await follow.out.until((l) => l.trim() !== "", "the second firing");
    assert.ok(next.endsWith(second.id), `expected ${second.id}, got: ${next}`);
    follow.child.kill("SIGTERM");
    assert.equal((await follow.child.status).code, 0);
  } finally {
    await follow.dispose();
    await server.stop();
  }
});
