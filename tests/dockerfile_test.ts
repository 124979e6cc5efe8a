/**
 * No Docker engine runs here, so the Dockerfile is linted for the points that matter: pinned
 * official image, cached dependency layer, unprivileged user, /data volume, port, healthcheck.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Instructions in order (continuations joined, comments dropped), with their stage index. */
async function instructions(): Promise<Instruction[]> {
  const text = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  const joined = text.replace(/\\\n\s*/g, " ");
  const out: Instruction[] = [];
  let stage = -1;
  for (const raw of joined.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    assert.ok(m, `not an instruction: ${line}`);
    if (m[1] === "FROM") stage++;
    out.push({ op: m[1], args: m[2], stage });
  }
  return out;
}

/** The image is pinned to the Deno the project is developed and tested with. */
function denoVersion(): string {
  return Deno.version.deno;
}

Deno.test("Dockerfile builds in two stages from the pinned official denoland/deno image", async () => {
  const ins = await instructions();
  const arg = ins.find((i) => i.op === "ARG" && i.args.startsWith("DENO_IMAGE="));
  assert.equal(arg?.args, `DENO_IMAGE=denoland/deno:${denoVersion()}`);
  const froms = ins.filter((i) => i.op === "FROM").map((i) => i.args);
  assert.deepEqual(froms, ["${DENO_IMAGE} AS build", "${DENO_IMAGE}"]);
  assert.doesNotMatch(arg!.args, /:latest$/);
});

Deno.test("Dockerfile caches dependencies in a layer before the source is copied", async () => {
  const ins = (await instructions()).filter((i) => i.stage === 0);
  const at = (pred: (i: Instruction) => boolean) => ins.findIndex(pred);
  const manifest = at((i) => i.op === "COPY" && i.args === "deno.json deno.lock ./");
  const install = at((i) => i.op === "RUN" && /^deno install --frozen$/.test(i.args));
  const source = at((i) => i.op === "COPY" && i.args === ". .");
  const cache = at((i) => i.op === "RUN" && /deno cache --frozen main\.ts/.test(i.args));
  assert.ok(manifest >= 0 && install > manifest && source > install && cache > source);
});

Deno.test("Dockerfile runs as the deno user with KV in a /data volume it owns", async () => {
  const ins = (await instructions()).filter((i) => i.stage === 1);
  const idx = (op: string, args: string) => ins.findIndex((i) => i.op === op && i.args === args);
  const users = ins.filter((i) => i.op === "USER");
  assert.deepEqual(users.map((u) => u.args), ["deno"]);
  const chown = idx("RUN", "mkdir -p /data && chown deno:deno /data");
  const volume = idx("VOLUME", "/data");
  const user = idx("USER", "deno");
  // Ownership before VOLUME (or new volumes start out root-owned), USER before CMD.
  assert.ok(chown >= 0 && volume > chown && user > volume);
  const env = ins.filter((i) => i.op === "ENV").map((i) => i.args).join(" ");
  assert.match(env, /\bTOCK_KV=\/data\/tock\.kv\b/);
  assert.match(env, /\bHOSTNAME=0\.0\.0\.0\b/);
  assert.match(env, /\bPORT=8000\b/);
  assert.ok(
    ins.some((i) => i.op === "COPY" && /--chown=deno:deno/.test(i.args)),
    "app files owned by deno",
  );
});

Deno.test("Dockerfile exposes 8000, checks /healthz and starts main.ts with its permissions", async () => {
  const ins = (await instructions()).filter((i) => i.stage === 1);
  assert.deepEqual(ins.filter((i) => i.op === "EXPOSE").map((i) => i.args), ["8000"]);
  const health = ins.find((i) => i.op === "HEALTHCHECK");
  assert.ok(health);
  assert.match(health.args, /--interval=\d+s/);
  const cmd = JSON.parse(health.args.slice(health.args.indexOf("CMD ") + 4));
  assert.deepEqual(cmd.slice(0, 3), ["deno", "eval", "--no-config"]);
  assert.match(
    cmd[3],
    /fetch\(`http:\/\/127\.0\.0\.1:\$\{Deno\.env\.get\('PORT'\) \?\? '8000'\}\/healthz`\)/,
  );
  assert.match(cmd[3], /Deno\.exit\(r\?\.ok \? 0 : 1\)/);
  const run = JSON.parse(ins.find((i) => i.op === "CMD")!.args);
  assert.deepEqual(run, [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--cached-only",
    "main.ts",
    // Runtimes that overwrite HOSTNAME (podman, Kubernetes) must not move the bind address.
    "--hostname",
    "0.0.0.0",
  ]);
  // The same permissions as `deno task start`.
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;
  const permissions = run.slice(0, run.indexOf("main.ts") + 1).filter((a: string) =>
    a !== "--cached-only"
  );
  assert.equal(tasks.start, `deno ${permissions.join(" ")}`);
});

Deno.test("the healthcheck script exits 0 on a healthy server and 1 when nothing answers", async () => {
  const ins = (await instructions()).filter((i) => i.stage === 1);
  const health = ins.find((i) => i.op === "HEALTHCHECK")!;
  const [, , , code] = JSON.parse(health.args.slice(health.args.indexOf("CMD ") + 4));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      new URL(req.url).pathname === "/healthz"
        ? Response.json({ ok: true })
        : new Response("no", { status: 404 }),
  );
  const run = async (port: number) =>
    (await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", code],
      env: { PORT: String(port) },
      stdout: "null",
      stderr: "null",
    }).output()).code;
  try {
    assert.equal(await run(server.addr.port), 0);
  } finally {
    await server.shutdown();
  }
  assert.equal(await run(server.addr.port), 1);
});

Deno.test(".dockerignore keeps local state and build output out of the image", async () => {
  const lines = (await Deno.readTextFile(new URL(".dockerignore", ROOT))).split("\n")
    .map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const entry of [".git", "node_modules", "dist", "data", "*.kv"]) {
    assert.ok(lines.includes(entry), entry);
  }
  for (const kept of ["static", "deno.json", "deno.lock", "main.ts"]) {
    assert.ok(!lines.includes(kept), kept);
  }
});

Deno.test("compose.yaml builds the image, maps 8000, keeps /data on a volume", async () => {
  const text = await Deno.readTextFile(new URL("compose.yaml", ROOT));
  assert.match(text, /^services:\n {2}tock:\n {4}build: \.$/m);
  assert.match(text, /^ {6}- "8000:8000"$/m);
  assert.match(text, /^ {6}- tock-data:\/data$/m);
  assert.match(text, /^ {6}TOCK_API_KEY: \$\{TOCK_API_KEY:\?/m);
  assert.match(text, /^volumes:\n {2}tock-data:$/m);
});
