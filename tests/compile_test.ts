/**
 * `deno task compile` embeds static/ and bakes in the permission and unstable flags. This
 * machine cannot download `denort`, so the task's own command runs with `DENORT_BIN` pointing
 * at the deno binary; the output is then read back: its metadata (permissions, unstable
 * features, entrypoint) and its virtual file system, which must hold every file under static/.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";

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

Deno.test({
  name: "deno task compile embeds every file under static/ and bakes in its flags",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tock-compile-" });
    try {
      const output = `${dir}/tock`;
      const res = await new Deno.Command(Deno.execPath(), {
        args: await compileArgs(output),
        cwd: ROOT,
        env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const printed = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
      assert.equal(res.code, 0, printed);
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
