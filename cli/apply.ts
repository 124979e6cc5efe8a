/** `tock export` and `tock apply`: triggers as a JSON file that lives in version control. */
import type { Trigger } from "../core/schemas.ts";
import { ApiError, describeApiError, prefixErrors } from "./client.ts";
import { type Ctx, pathOf, readInput, str } from "./context.ts";
import { type Change, changedFields, planApply } from "./plan.ts";
import {
  parseTriggerFile,
  redactSecrets,
  restoreSecrets,
  SpecError,
  toTriggerFile,
} from "./spec.ts";
import { listAllTriggers } from "./triggers.ts";

/**
 * `tock export [--out file] [--include-secrets]`: every trigger as a file that `tock apply`
 * accepts. Header values stay out unless asked for: the file usually goes into git.
 */
export async function exportCommand(ctx: Ctx): Promise<number> {
  const full = toTriggerFile(await listAllTriggers(ctx.client));
  const { file, redacted } = ctx.values["include-secrets"]
    ? { file: full, redacted: 0 }
    : redactSecrets(full);
  const text = JSON.stringify(file, null, 2) + "\n";
  const out = str(ctx.values, "out");
  if (out === undefined) ctx.out(text);
  else await Deno.writeTextFile(pathOf(ctx, out), text);
  if (redacted > 0) {
    ctx.err(
      `Left out ${redacted} webhook header value(s) (written as "<redacted>"; tock apply ` +
        "keeps the server's values); --include-secrets writes them",
    );
  }
  if (out !== undefined) ctx.err(`Exported ${file.triggers.length} trigger(s) to ${out}`);
  return 0;
}

function reportInvalid(ctx: Ctx, err: SpecError): number {
  if (ctx.json) ctx.out(JSON.stringify({ valid: false, problems: err.problems }, null, 2));
  ctx.err(`error: ${err.message}`);
  for (const p of err.problems) ctx.err(`  ${p}`);
  return 2;
}

const SIGN: Record<Change["action"], string> = {
  create: "+",
  update: "~",
  delete: "-",
  unchanged: "=",
  keep: " ",
};

function describe(c: Change): string {
  const detail = c.action === "update"
    ? `  (${changedFields(c).join(", ")})`
    : c.action === "create" && c.body.status === "paused"
    ? "  (paused)"
    : c.action === "keep"
    ? "  (not in the file; --prune deletes it)"
    : "";
  return `${SIGN[c.action]} ${c.action.padEnd(9)} ${c.name}${detail}`;
}

interface Failure {
  name: string;
  entry?: string;
  title: string;
  detail: string;
  errors: { path: string; message: string }[];
}

/**
 * `tock apply <file> [--prune] [--dry-run]`: makes the server's triggers match the file by
 * name. Validates the whole file first (exit 2 on problems), prints the plan, then applies it
 * one change at a time; a refused change is reported and the rest still run (exit 1).
 */
export async function applyCommand(ctx: Ctx): Promise<number> {
  const source = ctx.positionals[0];
  const text = await readInput(ctx, source, "apply");
  const label = source === "-" ? "stdin" : source;
  let file;
  try {
    file = parseTriggerFile(text, label);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    return reportInvalid(ctx, err);
  }
  const dryRun = ctx.values["dry-run"] === true;
  const prune = ctx.values.prune === true;
  const current = await listAllTriggers(ctx.client);
  const missing = restoreSecrets(file.triggers, current);
  if (missing.length > 0) return reportInvalid(ctx, new SpecError(label, missing));
  const plan = planApply(file.triggers, current, { prune });
  const changes = plan.filter((c) => c.action !== "unchanged" && c.action !== "keep");
  const unchanged = plan.filter((c) => c.action === "unchanged").length;
  const kept = plan.filter((c) => c.action === "keep");

  if (!ctx.json) {
    for (const c of plan) if (c.action !== "unchanged") ctx.out(describe(c));
  }
  const failures: Failure[] = [];
  const done: { action: string; name: string; id?: string; fields?: string[] }[] = [];
  if (!dryRun) {
    for (const c of changes) {
      try {
        done.push(await execute(ctx, c));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        const entry = "index" in c ? `triggers[${c.index}]` : undefined;
        failures.push({
          name: c.name,
          entry,
          title: err.title,
          detail: err.detail,
          errors: prefixErrors(err.errors, entry),
        });
        ctx.err(`${c.action} "${c.name}" failed:`);
        for (const l of describeApiError(err, entry)) ctx.err(`  ${l}`);
        if (err.status === 0 || err.status === 401) break;
      }
    }
  }

  if (ctx.json) {
    ctx.out(JSON.stringify(
      {
        dryRun,
        changes: dryRun ? changes.map(summary) : done,
        unchanged,
        kept: kept.map((c) => c.name),
        failed: failures,
      },
      null,
      2,
    ));
  } else if (changes.length === 0) {
    ctx.out(`No changes: ${unchanged} trigger(s) already match ${source}`);
  } else {
    const n = (list: { action: string }[], action: string) =>
      list.filter((c) => c.action === action).length;
    ctx.out(
      dryRun
        ? `Dry run: ${changes.length} change(s) planned (${n(changes, "create")} to create, ` +
          `${n(changes, "update")} to update, ${n(changes, "delete")} to delete), ` +
          `${unchanged} unchanged; nothing was applied`
        : `Applied ${done.length} of ${changes.length} change(s): ${n(done, "create")} created, ` +
          `${n(done, "update")} updated, ${n(done, "delete")} deleted; ${unchanged} unchanged`,
    );
  }
  return failures.length > 0 ? 1 : 0;
}

function summary(c: Change) {
  return {
    action: c.action,
    name: c.name,
    ...("id" in c ? { id: c.id } : {}),
    ...(c.action === "update" ? { fields: changedFields(c) } : {}),
  };
}

async function execute(ctx: Ctx, c: Change) {
  const api = ctx.client;
  switch (c.action) {
    case "create": {
      const t = await api.request<Trigger>("POST", "/api/triggers", { body: c.body });
      return { action: "create", name: c.name, id: t.id };
    }
    case "update": {
      if (Object.keys(c.patch).length > 0) {
        await api.request<Trigger>("PATCH", `/api/triggers/${c.id}`, { body: c.patch });
      }
      if (c.status) await api.request<Trigger>("POST", `/api/triggers/${c.id}/${c.status}`);
      return summary(c);
    }
    case "delete":
      await api.request("DELETE", `/api/triggers/${c.id}`);
      return summary(c);
    default:
      throw new Error(`Nothing to apply for "${c.action}"`);
  }
}
