/** `tock triggers list|get|create|update|delete|pause|resume|fire`: one API call each. */
import type { LogEntry, Trigger } from "../core/schemas.ts";
import { ApiError, type Client } from "./client.ts";
import { type Ctx, jsonOption, readJsonInput, str, UsageError } from "./context.ts";
import { definitionFromFlags } from "./definition_flags.ts";
import { logDetails, TRIGGER_COLUMNS, triggerDetails, triggerRow } from "./format.ts";
import { table } from "./table.ts";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;

/** The server's triggers page by page, following cursors, for callers that may stop early. */
export async function* triggerPages(
  client: Client,
  query: { type?: string; status?: string } = {},
): AsyncGenerator<Trigger[]> {
  let cursor: string | undefined;
  do {
    const page = await client.request<{ items: Trigger[]; nextCursor: string | null }>(
      "GET",
      "/api/triggers",
      { query: { ...query, limit: 500, cursor } },
    );
    yield page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** Every trigger on the server, following cursors. */
export async function listAllTriggers(
  client: Client,
  query: { type?: string; status?: string } = {},
): Promise<Trigger[]> {
  const all: Trigger[] = [];
  for await (const page of triggerPages(client, query)) all.push(...page);
  return all;
}

/**
 * Finds a trigger by id or by name: an id-shaped reference is tried as an id first, then
 * the reference is looked up by name (`?name=`, the server's names index). Unknown is a 404.
 */
export async function resolveTrigger(client: Client, ref: string): Promise<Trigger> {
  if (ULID.test(ref)) {
    try {
      return await client.request<Trigger>("GET", `/api/triggers/${encodeURIComponent(ref)}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  const name = ref.trim();
  const q = `/api/triggers?name=${encodeURIComponent(name)}&limit=1`;
  const [found] = (await client.request<{ items: Trigger[] }>("GET", q)).items;
  if (found) return found;
  throw new ApiError(404, "Not found", `No trigger with id or name "${ref}"`);
}

function printTrigger(ctx: Ctx, t: Trigger, verb?: string): void {
  if (ctx.json) return ctx.out(JSON.stringify(t, null, 2));
  if (verb) ctx.out(`${verb} trigger "${t.name}" (${t.id})`);
  else ctx.out(triggerDetails(t));
}

/** `tock triggers list` */
export async function listCommand(ctx: Ctx): Promise<number> {
  const type = str(ctx.values, "type");
  const status = str(ctx.values, "status");
  if (type !== undefined && type !== "scheduled" && type !== "api") {
    throw new UsageError(`--type: expected scheduled or api, got "${type}"`, "triggers list");
  }
  if (status !== undefined && !["active", "paused", "completed"].includes(status)) {
    throw new UsageError(
      `--status: expected active, paused or completed, got "${status}"`,
      "triggers list",
    );
  }
  const triggers = await listAllTriggers(ctx.client, { type, status });
  if (ctx.json) ctx.out(JSON.stringify(triggers, null, 2));
  else if (triggers.length === 0) ctx.out("No triggers");
  else ctx.out(table(TRIGGER_COLUMNS, triggers.map(triggerRow)));
  return 0;
}

/** `tock triggers get <id|name>` */
export async function getCommand(ctx: Ctx): Promise<number> {
  printTrigger(ctx, await resolveTrigger(ctx.client, ctx.positionals[0]));
  return 0;
}

/** `tock triggers create [name] [flags]` */
export async function createCommand(ctx: Ctx): Promise<number> {
  const body = await definitionFromFlags(ctx, "triggers create");
  if (ctx.positionals[0] !== undefined) {
    if (body.name !== undefined && body.name !== ctx.positionals[0]) {
      throw new UsageError("Give the name once, as an argument or --name", "triggers create");
    }
    body.name = ctx.positionals[0];
  }
  if (body.name === undefined) throw new UsageError("Missing trigger name", "triggers create");
  if (ctx.values.paused) body.status = "paused";
  const t = await ctx.client.request<Trigger>("POST", "/api/triggers", { body });
  printTrigger(ctx, t, "Created");
  return 0;
}

/** `tock triggers update <id|name> [flags]`: a PATCH with only the given fields. */
export async function updateCommand(ctx: Ctx): Promise<number> {
  if (ctx.values.paused) {
    throw new UsageError("Use tock triggers pause to pause a trigger", "triggers update");
  }
  const body = await definitionFromFlags(ctx, "triggers update");
  if (Object.keys(body).length === 0) {
    throw new UsageError("Nothing to update: give at least one field", "triggers update");
  }
  const current = await resolveTrigger(ctx.client, ctx.positionals[0]);
  const t = await ctx.client.request<Trigger>("PATCH", `/api/triggers/${current.id}`, { body });
  printTrigger(ctx, t, "Updated");
  return 0;
}

/** `tock triggers delete <id|name>` */
export async function deleteCommand(ctx: Ctx): Promise<number> {
  const t = await resolveTrigger(ctx.client, ctx.positionals[0]);
  await ctx.client.request("DELETE", `/api/triggers/${t.id}`);
  if (ctx.json) ctx.out(JSON.stringify({ id: t.id, name: t.name, deleted: true }, null, 2));
  else ctx.out(`Deleted trigger "${t.name}" (${t.id})`);
  return 0;
}

/** `tock triggers pause|resume <id|name>` */
export function actionCommand(action: "pause" | "resume") {
  return async (ctx: Ctx): Promise<number> => {
    const current = await resolveTrigger(ctx.client, ctx.positionals[0]);
    // `pause --reason --until`: the server checks both (length, a future instant).
    const reason = action === "pause" ? str(ctx.values, "reason") : undefined;
    const until = action === "pause" ? str(ctx.values, "until") : undefined;
    const body = reason === undefined && until === undefined ? undefined : { reason, until };
    const t = await ctx.client.request<Trigger>("POST", `/api/triggers/${current.id}/${action}`, {
      body,
    });
    printTrigger(ctx, t, action === "pause" ? "Paused" : "Resumed");
    return 0;
  };
}

/** `tock triggers fire <id|name> [--payload json]` */
export async function fireCommand(ctx: Ctx): Promise<number> {
  let payload = jsonOption(ctx.values, "payload", "triggers fire");
  const file = str(ctx.values, "payload-file");
  if (file !== undefined) {
    if (payload !== undefined) {
      throw new UsageError("Give --payload or --payload-file, not both", "triggers fire");
    }
    payload = await readJsonInput(ctx, file, "triggers fire");
  }
  const t = await resolveTrigger(ctx.client, ctx.positionals[0]);
  const log = await ctx.client.request<LogEntry>("POST", `/api/triggers/${t.id}/fire`, {
    body: payload,
  });
  if (ctx.json) ctx.out(JSON.stringify(log, null, 2));
  else ctx.out(`Fired trigger "${t.name}"\n${logDetails(log)}`);
  return 0;
}

/** `tock triggers backfill <id|name> --from ISO --to ISO` */
export async function backfillCommand(ctx: Ctx): Promise<number> {
  const from = str(ctx.values, "from");
  const to = str(ctx.values, "to");
  if (from === undefined || to === undefined) {
    throw new UsageError("Give --from and --to", "triggers backfill");
  }
  const t = await resolveTrigger(ctx.client, ctx.positionals[0]);
  const res = await ctx.client.request<
    { occurrences: number; alreadyFired: number; queued: number }
  >(
    "POST",
    `/api/triggers/${t.id}/backfill`,
    { body: { from, to } },
  );
  if (ctx.json) ctx.out(JSON.stringify(res, null, 2));
  else {
    ctx.out(
      `Backfill of "${t.name}": ${res.occurrences} occurrences, ${res.alreadyFired} already fired, ${res.queued} queued`,
    );
  }
  return 0;
}
