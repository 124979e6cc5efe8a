/**
 * `deno task compile` embeds static/ and bakes in the permission and unstable flags.
 *
 * `deno compile` needs `denort` (the runtime without the toolchain) for the target: it is
 * downloaded from dl.deno.land once per Deno version and target into DENO_DIR/dl/, unless
 * DENORT_BIN names one. So:
 * 1. The task's own command runs as is. Where denort can be had (cached, or the network
 *    reaches dl.deno.land), the compiled program is RUN: `--version` and `help`. Where it
 *    cannot, the test checks that the failure is exactly that download, and says so.
 * 2. Always: the same command with `DENORT_BIN` set to the deno binary (which builds a file
 *    that is plain deno plus the embedded program, so it cannot be run as tock), read back:
 *    its metadata (permissions, unstable features, entrypoint) and its virtual file system,
 *    which must hold every file under static/.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { helpText } from "../cli/help.ts";
import { VERSION } from "../core/version.ts";

const ROOT = new URL("../", import.meta.url);

/** The JSON value that starts at `start` in `buf` (strings and escapes respected). */
function jsonAt(buf: Buffer, start: number): unknown {
  let depth = 0;
  let inString = false;
  for (let i = start; i < buf.length; i++) {
    const ch = buf[i];
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped byte
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) depth++;
    else if (ch === 0x7d || ch === 0x5d) {
      if (--depth === 0) return JSON.parse(buf.subarray(start, i + 1).toString("utf8"));
    }
  }
  throw new Error("unterminated JSON in the binary");
}

type VfsEntry =
  | { File: { n: string } }
  | { Dir: { n: string; e: VfsEntry[] } }
  | { Symlink: { n: string } };

function filesOf(dir: { n: string; e: VfsEntry[] }, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of dir.e) {
    if ("File" in entry) out.push(`${prefix}${entry.File.n}`);
    else if ("Dir" in entry) out.push(...filesOf(entry.Dir, `${prefix}${entry.Dir.n}/`));
  }
  return out;
}

async function walk(dir: URL, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...await walk(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    else if (e.isFile) out.push(`${prefix}${e.name}`);
  }
  return out;
}

/** The compile task's arguments, with the output redirected to `output`. */
async function compileArgs(output: string): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;
  const args: string[] = tasks.compile.split(/\s+/);
  assert.equal(args[0], "deno");
  const at = args.indexOf("--output");
  assert.equal(args[at + 1], "dist/tock");
  args[at + 1] = output;
  // Type-checking is `deno check`'s job (deno task ok); here only what gets embedded matters.
  return [args[1], "--no-check", ...args.slice(2)];
}

/** Runs the compile task's command; `denortBin` undefined means none, even if the caller set one. */
async function compile(output: string, denortBin: string | undefined) {
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
  delete env.DENORT_BIN;
  if (denortBin !== undefined) env.DENORT_BIN = denortBin;
  const res = await new Deno.Command(Deno.execPath(), {
    args: await compileArgs(output),
    cwd: ROOT,
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const printed = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
  return { code: res.code, printed };
}

async function runBinary(bin: string, args: string[]) {
  const out = await new Deno.Command(bin, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task compile builds a program that runs, where denort can be had", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tock-compile-" });
  try {
    const output = `${dir}/tock`;
    // DENORT_BIN from the environment would bypass the very download this test is about.
    const { code, printed } = await compile(output, undefined);
    if (code !== 0) {
      assert.match(
        printed,
        /Download\S* https:\/\/dl\.deno\.land\/release\/v[\d.]+\/denort-[\w-]+\.zip/,
        `compile failed for another reason than fetching denort:\n${printed}`,
      );
      assert.match(printed, /error sending request|dns error|connect/i, printed);
      console.log(
        "compile_test: denort could not be downloaded here (no network to dl.deno.land and " +
          "none cached), so the compiled program was NOT run; the embedded files and flags " +
          "are checked with DENORT_BIN in the next test.",
      );
    } else {
      const version = await runBinary(output, ["--version"]);
      assert.deepEqual(version, { code: 0, stdout: `tock ${VERSION}\n`, stderr: "" });
      const help = await runBinary(output, ["help"]);
      assert.equal(help.code, 0, help.stderr);
      assert.equal(help.stdout, helpText("") + "\n");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "deno task compile embeds every file under static/ and bakes in its flags",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tock-compile-" });
    try {
      const output = `${dir}/tock`;
      const { code, printed } = await compile(output, Deno.execPath());
      assert.equal(code, 0, printed);
      // deno compile prints the embedded tree (folders summarised): static/ is in it.
      assert.match(printed, /Embedded Files/);
      assert.match(printed, /static\/\*/);

      const bin = Buffer.from(await Deno.readFile(output));
      const metaAt = bin.indexOf('{"argv":');
      assert.ok(metaAt >= 0, "no metadata in the binary");
      // deno-lint-ignore no-explicit-any
      const meta = jsonAt(bin, metaAt) as any;
      assert.deepEqual(meta.argv, []);
      assert.equal(meta.entrypoint_key, "main.ts");
      assert.ok(meta.unstable_config.features.includes("kv"));
      assert.ok(meta.unstable_config.features.includes("cron"));
      // The same permissions as `deno task start`: net, read, write, env; nothing else.
      const p = meta.permissions;
      for (const granted of ["allow_net", "allow_read", "allow_write", "allow_env"]) {
        assert.deepEqual(p[granted], [], `${granted} granted to all`);
      }
      for (const denied of ["allow_run", "allow_ffi", "allow_sys"]) {
        assert.equal(p[denied], null, `${denied} not granted`);
      }

      const staticAt = bin.indexOf('{"Dir":{"n":"static","e":');
      assert.ok(staticAt >= 0, "static/ is not in the embedded file system");
      const vfs = jsonAt(bin, staticAt) as { Dir: { n: string; e: VfsEntry[] } };
      const embedded = new Set(filesOf(vfs.Dir));
      const onDisk = await walk(new URL("static/", ROOT));
      assert.ok(onDisk.length > 10);
      const missing = onDisk.filter((f) => !embedded.has(f));
      assert.deepEqual(missing, [], "files under static/ missing from the binary");
      assert.ok(embedded.has("index.html"));
      // The browser-test dependency stays out of the binary.
      assert.equal(bin.indexOf('{"Dir":{"n":"playwright-core@'), -1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
