/**
 * `tock export` and `tock apply` in-process against a real server started once for the file:
 * the file round trip, plans, pruning, invalid files, refusals and secrets.
 */
import assert from "node:assert/strict";
import type { Trigger } from "../core/schemas.ts";
import { tock, tockJson, WEBHOOK } from "./helpers/cli.ts";
import { type RunningServer, startServer } from "./helpers/server.ts";

let server: RunningServer;
let dir: string;
Deno.test.beforeAll(async () => {
  server = await startServer();
  dir = await Deno.makeTempDir({ prefix: "tock-cli-" });
});
Deno.test.afterAll(async () => {
  await server.stop();
  await Deno.remove(dir, { recursive: true });
});

async function tempJson(dir: string, value: unknown): Promise<string> {
  const path = await Deno.makeTempFile({ dir, suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(value));
  return path;
}

Deno.test("tock export and apply keep triggers in a file", async (t) => {
  const url = server.url;
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
  {
    await t.step(
      "apply creates every entry; a second apply says there is nothing to do",
      async () => {
        await Deno.writeTextFile(path, JSON.stringify(file, null, 2));
        // A relative file name resolves against the caller's directory.
        const first = await tock(["apply", "triggers.json", "--url", url], { cwd: dir });
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
        const bad = await tempJson(dir, {
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
      const refused = await tempJson(dir, {
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
  }
});

Deno.test("tock export leaves webhook header values out unless --include-secrets", async () => {
  const url = server.url;
  const name = "zz-secret-hook";
  const created = await tockJson<Trigger>(url, [
    ...["triggers", "create", name, "--type", "api", "--webhook", "http://127.0.0.1:9/hook"],
    ...["--webhook-header", "Authorization: Bearer s3cret", "--webhook-header", "X-Team: ops"],
  ]);
  try {
    const plain = await tock(["export", "--url", url]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(!plain.stdout.includes("s3cret"), "the secret is not in the export");
    const entry = JSON.parse(plain.stdout).triggers.find((x: Trigger) => x.name === name);
    assert.deepEqual(entry.webhook.headers, {
      Authorization: "<redacted>",
      "X-Team": "<redacted>",
    });
    assert.match(
      plain.stderr,
      /^Left out 2 webhook header value\(s\) .*--include-secrets writes them$/m,
    );

    // The redacted file applies as "no changes": the server keeps its values.
    await Deno.writeTextFile(`${dir}/redacted.json`, plain.stdout);
    const again = await tock(["apply", "redacted.json", "--url", url], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^No changes: \d+ trigger\(s\) already match redacted.json$/m);
    const kept = await tockJson<Trigger>(url, ["triggers", "get", name]);
    assert.deepEqual(kept.webhook?.headers, { Authorization: "Bearer s3cret", "X-Team": "ops" });

    // A redacted value the server has nothing for is an invalid file.
    const renamed = JSON.parse(plain.stdout);
    renamed.triggers = [{ ...entry, name: "zz-new-hook" }];
    await Deno.writeTextFile(`${dir}/renamed.json`, JSON.stringify(renamed));
    const refused = await tock(["apply", "renamed.json", "--url", url], { cwd: dir });
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /^ {2}triggers\[0\]\.webhook\.headers\.Authorization: <redacted> stands for/m,
    );

    const full = await tock(["export", "--include-secrets", "--url", url]);
    assert.equal(full.code, 0, full.stderr);
    assert.equal(full.stderr, "");
    const fullEntry = JSON.parse(full.stdout).triggers.find((x: Trigger) => x.name === name);
    assert.deepEqual(fullEntry.webhook, {
      ...WEBHOOK,
      headers: { Authorization: "Bearer s3cret", "X-Team": "ops" },
    });
  } finally {
    await tock(["triggers", "delete", created.id, "--url", url]);
  }
});
