/** One version everywhere: `tock serve --version`, `/healthz`, `tock_build_info`; serve's help. */
import assert from "node:assert/strict";
import { VERSION } from "../core/version.ts";
import { testApp } from "./helpers/app.ts";

const ROOT = new URL("../", import.meta.url);

async function main(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("`serve --version` prints the version and starts nothing", async () => {
  const r = await main(["serve", "--version", "--port", "1"]);
  assert.deepEqual(r, { code: 0, stdout: `tock ${VERSION}\n`, stderr: "" });
});

Deno.test("`serve --help` prints the server's flags; bare `tock` prints the CLI's help", async () => {
  const serve = await main(["serve", "--help"]);
  assert.equal(serve.code, 0);
  for (const flag of ["--port", "--hostname", "--kv", "--log-format", "--api-key"]) {
    assert.match(serve.stdout, new RegExp(`^\\s+${flag} `, "m"), flag);
  }
  const bare = await main([]);
  assert.equal(bare.code, 0);
  assert.match(bare.stdout, /serve/);
  assert.notEqual(bare.stdout, serve.stdout);
});

Deno.test("/healthz answers the version", async () => {
  await using t = await testApp();
  const res = await t.call("GET", "/healthz");
  assert.equal(res.status, 200);
  assert.equal(res.body.version, VERSION);
});

Deno.test("/metrics has tock_build_info with the version and Deno's, valued 1", async () => {
  await using t = await testApp();
  const res = await t.call("GET", "/metrics");
  const text = typeof res.body === "string" ? res.body : await res.body;
  const lines = String(text).split("\n");
  assert.ok(lines.includes("# TYPE tock_build_info gauge"), "typed as a gauge");
  assert.ok(
    lines.includes(`tock_build_info{version="${VERSION}",deno="${Deno.version.deno}"} 1`),
    lines.filter((l) => l.startsWith("tock_build_info")).join("\n") || "no tock_build_info",
  );
});

Deno.test("`deno task version` prints the same version", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "version"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  assert.equal(dec.decode(out.stdout), `${VERSION}\n`);
});
