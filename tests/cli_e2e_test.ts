/**
 * The `tock` command as operators run it, in subprocesses: through the root entry point,
 * installed with `deno task install`, and interrupted with SIGINT. Everything else about the
 * CLI runs in-process (tests/cli_*_test.ts).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Trigger } from "../core/schemas.ts";
import { VERSION } from "../core/version.ts";
import { closedPort, tock, uniq } from "./helpers/cli.ts";
import { type RunningServer, startServer, waitFor } from "./helpers/server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

let server: RunningServer;
let installRoot: string;
Deno.test.beforeAll(async () => {
  server = await startServer();
  installRoot = await Deno.makeTempDir({ prefix: "tock-install-" });
});
Deno.test.afterAll(async () => {
  await server.stop();
  await Deno.remove(installRoot, { recursive: true });
});

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno run main.ts <command> is the CLI, with its exit codes", async () => {
  const name = uniq("e2e");
  const created = await run(Deno.execPath(), [
    ...["run", "-A", "main.ts", "triggers", "create", name, "--every", "3600"],
    ...["--url", server.url],
  ]);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, new RegExp(`^Created trigger "${name}" \\([0-9A-Z]{26}\\)$`, "m"));
  const listed = await run(Deno.execPath(), ["run", "-A", "main.ts", "triggers", "list"], {
    TOCK_URL: server.url,
  });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^ID {26}NAME/);
  assert.match(listed.stdout, new RegExp(`  ${name}  scheduled  active  every 3600s`));

  const usage = await run(Deno.execPath(), ["run", "-A", "main.ts", "triggers", "get"]);
  assert.equal(usage.code, 2);
  assert.equal(
    usage.stderr,
    'error: Missing trigger id or name\nRun "tock triggers get --help" for usage.\n',
  );
  const down = await run(Deno.execPath(), [
    ...["run", "-A", "main.ts", "triggers", "list", "--url", `http://127.0.0.1:${closedPort()}`],
  ]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^error: Cannot reach Tock at /);
});

Deno.test("the entry prints its version, as the CLI and as the server", async () => {
  for (const args of [["--version"], ["version"], ["serve", "--version"]]) {
    const r = await run(Deno.execPath(), ["run", "-A", "main.ts", ...args]);
    assert.deepEqual(r, { code: 0, stdout: `tock ${VERSION}\n`, stderr: "" }, args.join(" "));
  }
});

Deno.test("deno task install puts a working tock command on PATH, offline", async () => {
  const installed = await run(Deno.execPath(), ["task", "install"], {
    DENO_INSTALL_ROOT: installRoot,
  });
  assert.equal(installed.code, 0, installed.stderr);
  const bin = `${installRoot}/bin/tock`;
  assert.ok((await Deno.stat(bin)).isFile, `${bin} was not written`);
  const help = await run(bin, ["help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.equal(help.stdout, (await tock(["help"])).stdout);
  const list = await run(bin, ["triggers", "list", "--json", "--url", server.url]);
  assert.equal(list.code, 0, list.stderr);
  assert.ok(Array.isArray(JSON.parse(list.stdout)));
});

Deno.test("tock logs --follow exits 0 on SIGINT", async () => {
  const res = await fetch(`${server.url}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: uniq("sigint"), type: "api" }),
  });
  const t = (await res.json()) as Trigger;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "logs", "--follow", "--json", "--url", server.url],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const c of s.pipeThrough(new TextDecoderStream())) add(c);
  };
  const pumped = Promise.all([
    pump(child.stdout, (c) => out += c),
    pump(child.stderr, (c) => err += c),
  ]);
  try {
    await waitFor(() => err.includes("Following firings"), 20_000, "the stream");
    const fired = await fetch(`${server.url}/api/triggers/${t.id}/fire`, { method: "POST" });
    const log = await fired.json();
    await waitFor(() => out.includes(log.id), 15_000, "the firing");
    child.kill("SIGINT");
    assert.equal((await child.status).code, 0);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await pumped;
  }
});
