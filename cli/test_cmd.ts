/** `tock test <file>`: fire a definition once on the server without saving it. */
import type { LogEntry } from "../schemas.ts";
import { isRecord } from "./client.ts";
import { type Ctx, jsonOption, readJsonInput, str, UsageError } from "./context.ts";
import { logDetails } from "./format.ts";

/**
 * The definition to test from a file: a single trigger definition, or one entry of a trigger
 * file (`--name` picks it when there are several). `status` is a file-only field and dropped.
 */
export function pickDefinition(parsed: unknown, name?: string): Record<string, unknown> {
  if (!isRecord(parsed)) throw new UsageError("Expected a JSON object", "test");
  if (!Array.isArray(parsed.triggers)) {
    if (name !== undefined) throw new UsageError("--name applies to trigger files only", "test");
    return parsed;
  }
  const entries = parsed.triggers.filter(isRecord);
  const pick = name === undefined
    ? entries.length === 1 ? entries[0] : undefined
    : entries.find((e) => typeof e.name === "string" && e.name.trim() === name.trim());
  if (!pick) {
    throw new UsageError(
      name === undefined
        ? `The file holds ${entries.length} triggers: choose one with --name`
        : `No trigger named "${name}" in the file`,
      "test",
    );
  }
  const { status: _status, ...definition } = pick;
  return definition;
}

/** `tock test <file|-> [--name n] [--payload json]` */
export async function testCommand(ctx: Ctx): Promise<number> {
  const parsed = await readJsonInput(ctx.positionals[0], "test");
  const body = pickDefinition(parsed, str(ctx.values, "name"));
  const payload = jsonOption(ctx.values, "payload", "test");
  if (payload !== undefined) body.payload = payload;
  const result = await ctx.client.request<{ log: LogEntry; occurrences: string[] }>(
    "POST",
    "/api/test",
    { body },
  );
  if (ctx.json) {
    ctx.out(JSON.stringify(result, null, 2));
  } else {
    ctx.out(
      `Test firing of "${result.log.triggerName}" (nothing saved)\n${logDetails(result.log)}`,
    );
    ctx.out(
      result.occurrences.length === 0
        ? "No upcoming runs"
        : ["Next runs:", ...result.occurrences.map((o) => `  ${o}`)].join("\n"),
    );
  }
  // The server accepted the definition, but a webhook that failed is a failed test.
  return result.log.outcome === "failed" ? 1 : 0;
}
