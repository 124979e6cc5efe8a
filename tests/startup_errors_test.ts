/**
 * Every start-up failure is one line on stderr naming the cause and the flag to change, exit
 * code 2, no stack trace: the real `main.ts serve` in a subprocess, one test per failure.
 */
import assert from "node:assert/strict";
import { describeStartupError } from "../core/startup_errors.ts";

const ROOT = new URL("../", import.meta.url);

interface Failure {
  code: number;
  stdout: string;
  stderr: string;
}

async function serve(
  args: string[],
  opts: { denoFlags?: string[]; env?: Record<string, string> } = {},
): Promise<Failure> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(opts.denoFlags ?? ["-A"]),
      "main.ts",
      "serve",
      "--hostname",
      "127.0.0.1",
      ...args,
    ],
    cwd: ROOT,
    clearEnv: opts.env !== undefined,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Exit 2, one line on stderr matching `cause` and naming `flag`, no stack frames. */
function assertOneLine(r: Failure, cause: RegExp, flag: string): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `expected one line:\n${r.stderr}`);
  assert.ok(r.stderr.endsWith("\n"));
  assert.doesNotMatch(r.stderr, /^\s*at /m);
  assert.match(lines[0], /^tock: /);
  assert.match(lines[0], cause);
  assert.ok(lines[0].includes(flag), `does not name ${flag}: ${lines[0]}`);
  assert.doesNotMatch(r.stdout, /listening/);
}

const tempDir = () => Deno.makeTempDir({ prefix: "tock-startup-" });

Deno.test("port in use: one line naming --port, exit 2", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const r = await serve(["--port", String(port), "--kv", ":memory:"]);
    assertOneLine(r, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`), "--port");
  } finally {
    taken.close();
  }
});

Deno.test("not allowed to listen on the port: one line naming --port, exit 2", async () => {
  // Deno's permission is the denial this test can cause whoever runs it (root binds port 80);
  // the operating system's EACCES is covered by the pure test below.
  const r = await serve(["--port", "18080", "--kv", ":memory:"], {
    denoFlags: ["--allow-read", "--allow-write", "--allow-env", "--allow-net=127.0.0.1:1"],
  });
  assertOneLine(r, /permissions do not allow listening on 127\.0\.0\.1:18080/, "--port");
});

Deno.test("unresolvable hostname: one line naming --hostname, exit 2", async () => {
  // .invalid never resolves (RFC 6761).
  const r = await serve(["--port", "0", "--kv", ":memory:", "--hostname", "no-such-host.invalid"]);
  assertOneLine(r, /cannot resolve the hostname "no-such-host\.invalid"/, "--hostname");
});

Deno.test("an address this machine does not have: one line naming --hostname, exit 2", async () => {
  // 192.0.2.0/24 is TEST-NET-1: documentation only, on no interface.
  const r = await serve(["--port", "0", "--kv", ":memory:", "--hostname", "192.0.2.1"]);
  assertOneLine(r, /cannot bind 192\.0\.2\.1/, "--hostname");
});

Deno.test("KV path under a file (directory cannot be made): one line naming --kv, exit 2", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/file`, "x");
  const r = await serve(["--port", "0", "--kv", `${dir}/file/tock.kv`]);
  assertOneLine(r, /cannot create or open the KV store/, "--kv");
});

Deno.test("KV path that is a directory: one line naming --kv, exit 2", async () => {
  const r = await serve(["--port", "0", "--kv", await tempDir()]);
  assertOneLine(r, /cannot create or open the KV store/, "--kv");
});

Deno.test("a KV file that is not SQLite: one line naming --kv, exit 2, file untouched", async () => {
  const path = `${await tempDir()}/tock.kv`;
  const garbage = new Uint8Array(20_000).map((_, i) => (i * 7919) % 251);
  await Deno.writeFile(path, garbage);
  const r = await serve(["--port", "0", "--kv", path]);
  assertOneLine(r, /is not a Deno KV \(SQLite\) file/, "--kv");
  assert.deepEqual(await Deno.readFile(path), garbage, "the damaged file is left as it was");
});

Deno.test("KV Connect URL without DENO_KV_ACCESS_TOKEN: one line naming --kv, exit 2", async () => {
  const env = Deno.env.toObject();
  delete env.DENO_KV_ACCESS_TOKEN;
  const r = await serve(["--port", "0", "--kv", "https://127.0.0.1:1/kv"], { env });
  assertOneLine(r, /KV Connect URL but DENO_KV_ACCESS_TOKEN is not set/, "--kv");
});

Deno.test("with --log-format json the start-up failure is one JSON object", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const r = await serve(["--port", String(port), "--kv", ":memory:", "--log-format", "json"]);
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    const event = JSON.parse(lines[0]);
    assert.equal(event.level, "error");
    assert.equal(event.msg, "start-up failed");
    assert.equal(event.stage, "listen");
    assert.match(event.error, /already in use.*--port/);
  } finally {
    taken.close();
  }
});

Deno.test("describeStartupError() names the flag for the OS's refusals; null for the unknown", () => {
  const config = { kv: "/data/tock.kv", port: 80, hostname: "0.0.0.0" };
  assert.match(
    describeStartupError(
      new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
      config,
      "listen",
    )!,
    /^tock: not permitted to listen on port 80 .*--port/,
  );
  assert.match(
    describeStartupError(
      new Deno.errors.PermissionDenied("Permission denied (os error 13): mkdir '/data'"),
      config,
      "kv",
    )!,
    /^tock: cannot create or open the KV store "\/data\/tock\.kv" \(Permission denied\): change --kv/,
  );
  assert.match(
    describeStartupError(new Deno.errors.NotCapable("Requires write access"), config, "kv")!,
    /--allow-write .* --kv/,
  );
  assert.equal(describeStartupError(new Error("something else"), config, "listen"), null);
  assert.equal(describeStartupError("not an error", config, "kv"), null);
});
