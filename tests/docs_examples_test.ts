/**
 * Runs every shell example of the documents in `DOCUMENTS` against a real server, the way a
 * reader would paste them, and compares the shown output.
 *
 * Conventions (for writers of docs):
 * - Every ```sh (or ```bash, ```shell) block is run, on its own, with bash
 *   `set -euo pipefail`, in a fresh temporary directory, with `tock` on PATH (the checkout's
 *   CLI) and TOCK_URL pointing at the test server. `http://127.0.0.1:8000` and
 *   `http://localhost:8000` in the block are replaced by the server's URL. So a block must be
 *   self-contained: unique names (`$RANDOM`), ids captured into variables, files written by
 *   the block itself (heredocs).
 * - A block that must not run here (it starts the service, installs into $HOME, runs until
 *   Ctrl-C, deletes everything...) is preceded by `<!-- not-run: <reason> -->` as the last
 *   non-blank line above its fence. It is reported as an ignored step with that reason, never dropped.
 * - A ```text block right after a run block (only blank lines between) is that block's
 *   exact standard output, line by line (trailing blanks ignored). In it `<ULID>` matches an
 *   id, `<TIME>` an ISO instant, `<N>` a whole number, `<VERSION>` Tock's version, `<ANY>` any
 *   text within the line, and a line holding only `...` any number of lines.
 *
 * An indented fence (inside a list item) is not a run block: keep runnable examples at the
 * margin.
 * `TOCK_DOCS=README.md,docs/cli.md deno test -A tests/docs_examples_test.ts` runs others.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { VERSION } from "../core/version.ts";
import { type RunningServer, startServer } from "./helpers/server.ts";

/** The documents whose examples must run: the README and every page under docs/. */
export const DOCUMENTS = [
  "README.md",
  ...[...Deno.readDirSync(new URL("../docs", import.meta.url))]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`)
    .sort(),
];

/** The entry the `tock` on PATH runs: the root main.ts, as `deno task install` installs it. */
const ENTRY = "main.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUN_LANGS = new Set(["sh", "bash", "shell"]);

export interface Example {
  doc: string;
  line: number;
  code: string;
  skip?: string;
  expected?: string;
}

/** The run blocks of a markdown text, with their not-run reasons and shown outputs. */
export function extractExamples(doc: string, text: string): Example[] {
  const lines = text.split("\n");
  const out: Example[] = [];
  let i = 0;
  const readBlock = (start: number) => {
    let end = start + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    return { body: lines.slice(start + 1, end).join("\n"), end };
  };
  while (i < lines.length) {
    const fence = /^```(\w*)\s*$/.exec(lines[i]);
    if (!fence) {
      i++;
      continue;
    }
    const { body, end } = readBlock(i);
    if (RUN_LANGS.has(fence[1])) {
      // The marker is the last non-blank line above the fence (deno fmt puts a blank between).
      let above = i - 1;
      while (above >= 0 && lines[above].trim() === "") above--;
      const marker = /^<!--\s*not-run:\s*(.+?)\s*-->\s*$/.exec(lines[above] ?? "");
      const ex: Example = { doc, line: i + 1, code: body, skip: marker?.[1] };
      let next = end + 1;
      while (next < lines.length && lines[next].trim() === "") next++;
      if (/^```text\s*$/.test(lines[next] ?? "")) {
        const shown = readBlock(next);
        ex.expected = shown.body;
        out.push(ex);
        i = shown.end + 1;
        continue;
      }
      out.push(ex);
    }
    i = end + 1;
  }
  return out;
}

const PLACEHOLDERS: Record<string, string> = {
  "<ULID>": "[0-9A-HJKMNP-TV-Z]{26}",
  "<TIME>": "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?Z",
  "<N>": "\\d+",
  "<VERSION>": VERSION.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
  "<ANY>": ".*",
};

function lineRegex(expected: string): RegExp {
  const parts = expected.split(/(<ULID>|<TIME>|<N>|<VERSION>|<ANY>)/);
  const src = parts.map((p) => PLACEHOLDERS[p] ?? p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${src.join("")}$`);
}

/** Whether `actual` lines match `expected` lines (placeholders, `...` for any lines). */
export function outputMatches(expected: string, actual: string): boolean {
  const norm = (s: string) => s.split("\n").map((l) => l.trimEnd()).join("\n").replace(/\n+$/, "");
  const want = norm(expected).split("\n");
  const got = norm(actual) === "" ? [] : norm(actual).split("\n");
  const match = (w: number, g: number): boolean => {
    if (w === want.length) return g === got.length;
    if (want[w] === "...") {
      for (let k = g; k <= got.length; k++) if (match(w + 1, k)) return true;
      return false;
    }
    return g < got.length && lineRegex(want[w]).test(got[g]) && match(w + 1, g + 1);
  };
  return match(0, 0);
}

Deno.test("extractExamples() and outputMatches() follow the conventions", () => {
  const md = [
    "<!-- not-run: starts the service -->",
    "```sh",
    "deno task start",
    "```",
    "```sh",
    "tock --version",
    "```",
    "",
    "```text",
    "tock <VERSION>",
    "```",
    "```json",
    "{}",
    "```",
  ].join("\n");
  assert.deepEqual(extractExamples("x.md", md), [
    { doc: "x.md", line: 2, code: "deno task start", skip: "starts the service" },
    { doc: "x.md", line: 5, code: "tock --version", skip: undefined, expected: `tock <VERSION>` },
  ]);
  assert.ok(outputMatches("a <ULID>\n...\nz <N>", "a 01JDX0000000000000000000ZZ\nb\nc\nz 42\n"));
  assert.ok(outputMatches("...\nz", "z"));
  assert.ok(!outputMatches("a <N>", "a x"));
  assert.ok(!outputMatches("a", "a\nb"));
  assert.ok(outputMatches(`tock <VERSION>`, `tock ${VERSION}`));
});

let server: RunningServer;
let bin: string;
Deno.test.beforeAll(async () => {
  server = await startServer();
  bin = await Deno.makeTempDir({ prefix: "tock-docs-bin-" });
  await Deno.writeTextFile(
    `${bin}/tock`,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A --config "${ROOT}deno.json" "${ROOT}${ENTRY}" "$@"\n`,
  );
  await Deno.chmod(`${bin}/tock`, 0o755);
});
Deno.test.afterAll(async () => {
  await server.stop();
  await Deno.remove(bin, { recursive: true });
});

async function runExample(ex: Example): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = await Deno.makeTempDir({ prefix: "tock-docs-" });
  const env = Deno.env.toObject();
  for (const k of Object.keys(env)) if (k.startsWith("TOCK_") || k === "INIT_CWD") delete env[k];
  const script = ex.code.replace(/http:\/\/(127\.0\.0\.1|localhost):8000/g, server.url);
  try {
    const out = await new Deno.Command("bash", {
      args: ["-c", `set -euo pipefail\n${script}`],
      cwd,
      clearEnv: true,
      env: {
        ...env,
        PATH: `${bin}:${env.PATH ?? "/usr/bin:/bin"}`,
        TOCK_URL: server.url,
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

const docs = Deno.env.get("TOCK_DOCS")?.split(",").map((d) => d.trim()) ?? DOCUMENTS;
const examplesOf = (doc: string) => extractExamples(doc, Deno.readTextFileSync(`${ROOT}${doc}`));

Deno.test("the documents hold examples to run (the scan finds the README's and the CLI's)", () => {
  const run = (doc: string) => examplesOf(doc).filter((e) => !e.skip).length;
  assert.ok(run("README.md") >= 4, "README.md's tour");
  assert.ok(run("docs/cli.md") >= 8, "docs/cli.md's examples");
  assert.ok(DOCUMENTS.includes("docs/webhooks.md"), "every page under docs/ is read");
});

for (
  const doc of docs.filter((d) =>
    /^```(sh|bash|shell)\s*$/m.test(Deno.readTextFileSync(`${ROOT}${d}`))
  )
) {
  Deno.test(`every shell example in ${doc} runs and shows its output`, async (t) => {
    const examples = examplesOf(doc);
    for (const ex of examples) {
      const name = `${doc}:${ex.line}${ex.skip ? ` (not run: ${ex.skip})` : ""}`;
      await t.step({
        name,
        ignore: ex.skip !== undefined,
        fn: async () => {
          const r = await runExample(ex);
          const shown =
            `--- block ---\n${ex.code}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;
          assert.equal(r.code, 0, `exit ${r.code}\n${shown}`);
          if (ex.expected !== undefined) {
            assert.ok(
              outputMatches(ex.expected, r.stdout),
              `output differs from:\n${ex.expected}\n${shown}`,
            );
          }
        },
      });
    }
  });
}

Deno.test("the documents link only to files inside the repository, and every link resolves", () => {
  const broken: string[] = [];
  for (const doc of DOCUMENTS) {
    const text = Deno.readTextFileSync(`${ROOT}${doc}`);
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split("#")[0];
      if (/^[a-z]+:/i.test(m[1]) || target === "") continue; // web links and anchors
      const resolved = new URL(target, new URL(doc, `file://${ROOT}`));
      const inside = resolved.pathname.startsWith(ROOT);
      let exists = false;
      try {
        Deno.statSync(resolved);
        exists = true;
      } catch { /* reported below */ }
      if (!inside || !exists) broken.push(`${doc}: ${m[1]}`);
    }
  }
  assert.deepEqual(broken, []);
});
