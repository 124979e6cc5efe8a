/**
 * No Docker engine runs here, so the Dockerfile is linted for the points that matter: pinned
 * official image, cached dependency layer holding only runtime dependencies, app files
 * read-only to the unprivileged user, /data volume, port, healthcheck. The pruning script the
 * build runs (docker/runtime_deps.ts) runs here for real, and its list is checked against
 * main.ts's module graph.
 */
import assert from "node:assert/strict";
import { pruneManifest } from "../docker/runtime_deps.ts";

const ROOT = new URL("../", import.meta.url);

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Instructions in order (continuations joined, comments dropped), with their stage index. */
async function instructions(): Promise<Instruction[]> {
  const text = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  const joined = text.replace(/\s*\\\n\s*/g, " ");
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

Deno.test("Dockerfile caches only runtime dependencies in a layer before the source is copied", async () => {
  const ins = (await instructions()).filter((i) => i.stage === 0);
  const at = (pred: (i: Instruction) => boolean) => ins.findIndex(pred);
  const prune = "deno run --no-config --allow-read=. --allow-write=. docker/runtime_deps.ts " +
    "${TEST_ONLY_IMPORTS}";
  const manifest = at((i) => i.op === "COPY" && i.args === "deno.json deno.lock ./");
  const script = at((i) => i.op === "COPY" && i.args === "docker/runtime_deps.ts docker/");
  const install = at((i) => i.op === "RUN" && i.args === `${prune} && deno install --frozen`);
  const source = at((i) => i.op === "COPY" && i.args === ". .");
  const cache = at((i) =>
    i.op === "RUN" && i.args.startsWith(`${prune} && deno check main.ts `) &&
    /&& deno cache --frozen main\.ts[\w./ ]* &&/.test(i.args)
  );
  assert.ok(manifest >= 0 && script > manifest && install > script, "dependency layer first");
  assert.ok(source > install && cache > source, "then the source, pruned again, main.ts cached");
  // Every deno install/cache in the build runs on the pruned manifest.
  for (const i of ins.filter((i) => i.op === "RUN" && /deno (install|cache)/.test(i.args))) {
    assert.ok(i.args.startsWith(prune), `unpruned: ${i.args}`);
  }
});

/** The entrypoints whose graphs the build caches: `deno cache --frozen <these>`. */
async function cachedEntrypoints(): Promise<string[]> {
  const run = (await instructions()).find((i) => / deno cache --frozen /.test(i.args))!;
  return /deno cache --frozen ((?:[\w./]+\.ts ?)+)/.exec(run.args)![1].trim().split(" ");
}

/** The npm package of every deno.json import, and those the cached graphs use. */
async function importPackages(): Promise<{ all: Set<string>; runtime: Set<string> }> {
  const name = (s: string) => /^npm:\/?((?:@[^/@]+\/)?[^/@]+)/.exec(s)?.[1];
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const all = new Set(
    Object.values(config.imports as Record<string, string>).map(name)
      .filter((n): n is string => n !== undefined),
  );
  const runtime = new Set<string>();
  for (const entry of await cachedEntrypoints()) {
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    assert.equal(info.code, 0, `deno info ${entry}`);
    const graph = JSON.parse(new TextDecoder().decode(info.stdout));
    // Only the modules: `npmPackages` lists every package deno.json resolves, used or not.
    for (const m of graph.modules as { specifier: string }[]) {
      const n = name(m.specifier);
      if (n) runtime.add(n);
    }
  }
  return { all, runtime };
}

Deno.test("the build caches main.ts and every worker entry, which no module graph reaches", async () => {
  const entries = await cachedEntrypoints();
  assert.equal(entries[0], "main.ts");
  // Worker entries live beside the code that starts them (core/payload_validator_worker.ts).
  const workers = ["", "core"].flatMap((dir) =>
    [...Deno.readDirSync(new URL(dir ? `${dir}/` : "./", ROOT))].map((
      e,
    ) => (dir ? `${dir}/${e.name}` : e.name))
  ).filter((n) => /_worker\.ts$/.test(n));
  assert.ok(workers.length > 0, "the payload validator's worker exists");
  for (const w of workers) assert.ok(entries.includes(w), `${w} is not cached`);
});

Deno.test("TEST_ONLY_IMPORTS names exactly the deno.json imports the server does not use", async () => {
  const arg = (await instructions()).find((i) => i.op === "ARG" && i.args.startsWith("TEST_ONLY"));
  assert.ok(arg, "no ARG TEST_ONLY_IMPORTS");
  const listed = JSON.parse(arg.args.slice(arg.args.indexOf("=") + 1)).split(/\s+/).sort();
  const { all, runtime } = await importPackages();
  assert.ok(runtime.has("hono") && runtime.has("zod"), "the graph was read");
  assert.deepEqual(listed, [...all].filter((n) => !runtime.has(n)).sort());
  assert.ok(listed.includes("playwright-core"));
});

Deno.test("the pruned manifest installs, frozen, without the test-only packages", async () => {
  const arg = (await instructions()).find((i) => i.op === "ARG" && i.args.startsWith("TEST_ONLY"))!;
  const drop: string[] = JSON.parse(arg.args.slice(arg.args.indexOf("=") + 1)).split(/\s+/);
  const dir = await Deno.makeTempDir({ prefix: "tock-docker-" });
  for (const f of ["deno.json", "deno.lock"]) await Deno.copyFile(new URL(f, ROOT), `${dir}/${f}`);
  const script = new URL("docker/runtime_deps.ts", ROOT).pathname;
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args, cwd: dir, stdout: "null", stderr: "piped" }).output();
  // Twice, as the build does: the second run must change nothing.
  for (let i = 0; i < 2; i++) {
    const pruned = await run([
      "run",
      "--no-config",
      "--allow-read=.",
      "--allow-write=.",
      script,
      ...drop,
    ]);
    assert.equal(pruned.code, 0, new TextDecoder().decode(pruned.stderr));
  }
  const lock = await Deno.readTextFile(`${dir}/deno.lock`);
  for (const name of drop) assert.doesNotMatch(lock, new RegExp(`"(npm:)?${name}@`), name);
  // --frozen fails if the pruned lock is not what Deno would write for the pruned deno.json.
  const installed = await run(["install", "--frozen"]);
  assert.equal(installed.code, 0, new TextDecoder().decode(installed.stderr));
  const modules = [...Deno.readDirSync(`${dir}/node_modules`)].map((e) => e.name);
  for (const name of drop) assert.ok(!modules.includes(name), `${name} installed`);
  const dotDeno = [...Deno.readDirSync(`${dir}/node_modules/.deno`)].map((e) => e.name);
  for (const name of drop) assert.ok(!dotDeno.some((d) => d.startsWith(`${name}@`)), name);
  for (const name of ["hono", "zod", "croner", "ajv"]) assert.ok(modules.includes(name), name);
});

Deno.test("pruneManifest() drops a package and what only it needed, keeps shared ones", () => {
  const config = {
    version: "1",
    imports: { a: "npm:a@1.0.0", "a/": "npm:/a@1.0.0/", t: "npm:t@2.0.0" },
  };
  const lock = {
    version: "5",
    specifiers: { "npm:a@1.0.0": "1.0.0", "npm:t@2.0.0": "2.0.0" },
    npm: {
      "a@1.0.0": { integrity: "ia", dependencies: ["shared"] },
      "t@2.0.0": { integrity: "it", dependencies: ["shared", "only-t"] },
      "shared@1.0.0": { integrity: "is" },
      "only-t@3.0.0": { integrity: "io" },
    },
    workspace: { dependencies: ["npm:a@1.0.0", "npm:t@2.0.0"] },
  };
  const out = pruneManifest(config, lock, ["t"]);
  assert.deepEqual(out.config, {
    version: "1",
    imports: { a: "npm:a@1.0.0", "a/": "npm:/a@1.0.0/" },
  });
  assert.deepEqual(out.lock, {
    version: "5",
    specifiers: { "npm:a@1.0.0": "1.0.0" },
    npm: { "a@1.0.0": lock.npm["a@1.0.0"], "shared@1.0.0": lock.npm["shared@1.0.0"] },
    workspace: { dependencies: ["npm:a@1.0.0"] },
  });
  assert.deepEqual(pruneManifest(out.config, out.lock, ["t"]), out, "idempotent");
});

Deno.test("Dockerfile runs as the deno user with KV in a /data volume it owns, the app read-only", async () => {
  const all = await instructions();
  const ins = all.filter((i) => i.stage === 1);
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
  assert.match(env, /\bTOCK_HOSTNAME=0\.0\.0\.0\b/);
  assert.doesNotMatch(env, /(^|\s)HOSTNAME=/, "HOSTNAME is the container's name, not Tock's");
  assert.match(env, /\bPORT=8000\b/);
  // The app and the Deno cache: copied as root's, after the build made them not writable; the
  // only thing chowned to deno is /data.
  const copies = ins.filter((i) => i.op === "COPY");
  assert.deepEqual(copies.map((c) => c.args), [
    "--from=build /deno-dir /deno-dir",
    "--from=build /app /app",
  ]);
  const build = all.filter((i) => i.stage === 0 && i.op === "RUN");
  assert.match(build.at(-1)!.args, /&& chmod -R a-w \/app \/deno-dir$/, "last build step");
  assert.ok(
    !ins.some((i) => i.op === "RUN" && /chown|chmod/.test(i.args) && !/\/data$/.test(i.args)),
    "nothing but /data changes owner or mode at runtime",
  );
});

Deno.test("Dockerfile exposes 8000, checks /healthz and starts main.ts serve with its permissions", async () => {
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
    "--frozen",
    "main.ts",
    "serve",
    // The flag, not only ENV: nothing a runtime sets can move the bind address.
    "--hostname",
    "0.0.0.0",
  ]);
  // The same permissions as `deno task start`.
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;
  const permissions = run.slice(0, run.indexOf("serve") + 1).filter((a: string) =>
    a !== "--cached-only" && a !== "--frozen"
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
  for (const kept of ["static", "deno.json", "deno.lock", "main.ts", "docker"]) {
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
