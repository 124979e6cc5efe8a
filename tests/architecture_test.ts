/**
 * The layering rules, read from the source text of every product module (everything outside
 * tests/, bench/, node_modules/ and static/vendor/):
 * - only db/ touches KV: no `kv.atomic/set/get/getMany/list/delete/enqueue/listenQueue/watch`
 *   calls and no import of db/keys.ts elsewhere;
 * - each folder imports only what `MAY_IMPORT` lists (the README's layout table): core/ is the
 *   ground floor, db/ sits on it, scheduler/ and webhook/ meet only on the firing bus, routes/
 *   reach storage through services/, the CLI talks HTTP;
 * - no routes/ module imports another, except the shared helpers listed in ROUTE_HELPERS.
 */
import assert from "node:assert/strict";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const EXCLUDED = ["tests/", "bench/", "node_modules/", "static/vendor/", ".git/", "dist/"];

/**
 * routes/ modules other routers may import: not routers themselves. `body.ts` reads and
 * validates request bodies and queries for every router; `docs_page.ts` holds the assets of
 * the docs router; `fired_mark.ts` marks a request with the firing it made (for its log line);
 * `frame_queue.ts` is the event router's per-client queue of frames.
 */
const ROUTE_HELPERS = new Set([
  "routes/body.ts",
  "routes/docs_page.ts",
  "routes/fired_mark.ts",
  "routes/frame_queue.ts",
]);

/**
 * The folders each folder may import (besides its own), as the README's layout table says.
 * `main.ts` (the composition root) and the UI (static/, not TypeScript) are not listed: the
 * root may import anything; the CLI may import the UI's shared SSE parser.
 */
export const MAY_IMPORT: Record<string, string[]> = {
  core: [],
  db: ["core"],
  scheduler: ["core", "db"],
  webhook: ["core", "db"],
  services: ["core", "db", "scheduler"],
  routes: ["core", "services"],
  http: ["core", "routes"],
  cli: ["core", "static"],
  docker: [],
};

const KV_CALL = /\bkv\s*\.\s*(atomic|set|get|getMany|list|delete|enqueue|listenQueue|watch)\s*\(/g;
const IMPORT =
  /(?:\bimport|\bexport)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']/g;

/** Source without comments, so prose that names `kv.list` is not a call. */
function stripComments(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .map((line) => line.replace(/(^|[^:"'`\\])\/\/.*$/, "$1"))
    .join("\n");
}

/** Repository-relative paths of the relative imports of `file` (posix separators). */
function importsOf(file: string, src: string): string[] {
  const out: string[] = [];
  for (const m of stripComments(src).matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith(".")) continue;
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
    out.push(posix.normalize(posix.join(dir, spec)));
  }
  return out;
}

const top = (path: string) => (path.includes("/") ? path.slice(0, path.indexOf("/")) : "");

/** Every broken rule in `files` (path -> source), one line each. */
export function violations(files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [file, src] of files) {
    const layer = top(file);
    if (layer !== "db") {
      for (const m of stripComments(src).matchAll(KV_CALL)) {
        out.push(`${file}: calls kv.${m[1]}() outside db/`);
      }
    }
    for (const target of importsOf(file, src)) {
      const to = top(target);
      if (target === "db/keys.ts" && layer !== "db") {
        out.push(`${file}: imports db/keys.ts (key builders are private to db/)`);
      }
      const allowed = MAY_IMPORT[layer];
      if (allowed && to !== layer && !allowed.includes(to) && !target.endsWith(".json")) {
        out.push(`${file}: ${layer}/ imports ${target}`);
      }
      if (layer === "routes" && to === "routes" && !ROUTE_HELPERS.has(target)) {
        out.push(`${file}: a router imports another router (${target})`);
      }
    }
  }
  return out;
}

async function productSources(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(join(ROOT, dir))) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (EXCLUDED.some((x) => `${path}/`.startsWith(x))) continue;
      if (e.isDirectory) await walk(path);
      else if (e.isFile && path.endsWith(".ts")) {
        files.set(path, await Deno.readTextFile(join(ROOT, path)));
      }
    }
  };
  await walk("");
  return files;
}

Deno.test("architecture: only db/ touches KV, layers import downwards, routers stand alone", async () => {
  const files = await productSources();
  // The scan must see the modules it judges, or it would pass on nothing.
  for (
    const expected of [
      "main.ts",
      "db/keys.ts",
      "db/triggers.ts",
      "routes/triggers.ts",
      "http/app.ts",
    ]
  ) {
    assert.ok(files.has(expected), `the scan did not find ${expected}`);
  }
  for (const layer of Object.keys(MAY_IMPORT).filter((l) => l !== "docker")) {
    assert.ok([...files.keys()].some((f) => top(f) === layer), `no module found in ${layer}/`);
  }
  assert.ok(![...files.keys()].some((f) => f.startsWith("tests/")), "tests/ must be excluded");
  // db/ itself calls KV: the pattern matches real calls.
  assert.match(files.get("db/triggers.ts")!, new RegExp(KV_CALL.source));
  assert.deepEqual(violations(files), []);
});

Deno.test("architecture: each rule reports what breaks it", () => {
  const src = (body: string) => body;
  const files = new Map<string, string>([
    [
      "services/a.ts",
      src(`import { keys } from "../db/keys.ts";\nawait deps.kv.atomic().commit();`),
    ],
    ["webhook/b.ts", src(`const x = await this.#kv.get(["k"]);\nimport "../scheduler/engine.ts";`)],
    ["db/c.ts", src(`import { fireNow } from "../services/firings.ts";\nkv.list({ prefix: [] });`)],
    ["routes/d.ts", src(`import { x } from "./e.ts";\nimport { y } from "./body.ts";`)],
    ["scheduler/f.ts", src(`export { z } from "../webhook/outbox.ts";`)],
    ["core/h.ts", src(`import type { GroupCommitter } from "../db/group_commit.ts";`)],
    ["routes/i.ts", src(`import { listLogs } from "../db/log_list.ts";`)],
    ["cli/j.ts", src(`import { Scheduler } from "../scheduler/engine.ts";`)],
    // Prose and strings are not calls or imports.
    ["routes/g.ts", src(`/** uses kv.enqueue */\n// kv.list(\nconst u = "https://x//kv";`)],
  ]);
  assert.deepEqual(violations(files).sort(), [
    "cli/j.ts: cli/ imports scheduler/engine.ts",
    "core/h.ts: core/ imports db/group_commit.ts",
    "db/c.ts: db/ imports services/firings.ts",
    "routes/d.ts: a router imports another router (routes/e.ts)",
    "routes/i.ts: routes/ imports db/log_list.ts",
    "scheduler/f.ts: scheduler/ imports webhook/outbox.ts",
    "services/a.ts: calls kv.atomic() outside db/",
    "services/a.ts: imports db/keys.ts (key builders are private to db/)",
    "webhook/b.ts: calls kv.get() outside db/",
    "webhook/b.ts: webhook/ imports scheduler/engine.ts",
  ]);
});
