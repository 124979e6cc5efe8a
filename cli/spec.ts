/**
 * The declarative trigger file: `{ "version": 1, "triggers": [ <create body>, ... ] }`.
 * Entries are validated by the API's own `TriggerCreate` schema, so a file that passes here is
 * what the server accepts; problems name the entry and field (`triggers[2].schedule.cron`).
 */
import { z } from "zod";
import { fieldErrors } from "../core/field_errors.ts";
import { TriggerCreate } from "../core/schemas.ts";
import type { Trigger } from "../core/schemas.ts";

export const FILE_VERSION = 1;

/** One entry of the file, as `TriggerCreate` parses it (name trimmed, webhook defaults set). */
export type TriggerSpec = z.output<typeof TriggerCreate>;

export interface TriggerFile {
  version: typeof FILE_VERSION;
  triggers: TriggerSpec[];
}

/** A trigger file that does not validate: one `path: message` line per problem. */
export class SpecError extends Error {
  constructor(readonly source: string, readonly problems: string[]) {
    super(`${source} is not a valid trigger file`);
    this.name = "SpecError";
  }
}

const Envelope = z.strictObject({
  version: z.literal(FILE_VERSION, { error: `Expected ${FILE_VERSION}` }),
  triggers: z.array(z.unknown()),
});

/**
 * Parses and validates a trigger file's text; throws `SpecError` listing every problem.
 * @example parseTriggerFile('{"version":1,"triggers":[]}', "triggers.json")
 */
export function parseTriggerFile(text: string, source: string): TriggerFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SpecError(source, [`Not valid JSON: ${(err as Error).message}`]);
  }
  const envelope = Envelope.safeParse(raw);
  if (!envelope.success) {
    throw new SpecError(
      source,
      fieldErrors(envelope.error).map((e) => `${e.path || "(file)"}: ${e.message}`),
    );
  }
  const problems: string[] = [];
  const triggers: TriggerSpec[] = [];
  const seen = new Map<string, number>();
  envelope.data.triggers.forEach((entry, i) => {
    const parsed = TriggerCreate.safeParse(entry);
    for (const e of parsed.success ? [] : fieldErrors(parsed.error)) {
      problems.push(`triggers[${i}]${e.path ? `.${e.path}` : ""}: ${e.message}`);
    }
    // Names are checked even on otherwise invalid entries, so one run reports every problem.
    const name = parsed.success ? parsed.data.name : rawName(entry);
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) {
        problems.push(`triggers[${i}].name: Duplicate name "${name}" (also triggers[${first}])`);
      } else seen.set(name, i);
    }
    if (parsed.success) triggers.push(parsed.data);
  });
  if (problems.length > 0) throw new SpecError(source, problems);
  return { version: FILE_VERSION, triggers };
}

/**
 * A stored trigger as a file entry: the create-body fields only, so that exporting and applying
 * the result changes nothing. Paused triggers keep `status: "paused"`.
 */
export function toSpec(t: Trigger): TriggerSpec {
  const spec: TriggerSpec = {
    name: t.name,
    type: t.type,
    schedule: t.schedule === null ? null : dropEmpty(t.schedule) as TriggerSpec["schedule"],
    payload: t.payload,
    payloadSchema: t.payloadSchema,
    webhook: t.webhook as TriggerSpec["webhook"],
    misfire: t.misfire,
  };
  if (t.overlap && t.overlap !== "allow") spec.overlap = t.overlap;
  if (t.tags?.length) spec.tags = t.tags;
  if (t.status === "paused") spec.status = "paused";
  return spec;
}

/** The file for a list of triggers, sorted by name so diffs in version control stay small. */
export function toTriggerFile(triggers: Trigger[]): TriggerFile {
  const sorted = [...triggers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { version: FILE_VERSION, triggers: sorted.map(toSpec) };
}

function rawName(entry: unknown): string | undefined {
  const name = (entry as { name?: unknown } | null)?.name;
  return typeof name === "string" && name.trim() !== "" ? name.trim() : undefined;
}

function dropEmpty(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

/** What `tock export` writes in place of a webhook header value (often a credential). */
export const REDACTED = "<redacted>";

/** The file with every webhook header value replaced by `REDACTED`, and how many were. */
export function redactSecrets(file: TriggerFile): { file: TriggerFile; redacted: number } {
  let redacted = 0;
  const triggers = file.triggers.map((spec) => {
    const headers = spec.webhook?.headers;
    if (!spec.webhook || !headers || Object.keys(headers).length === 0) return spec;
    const hidden = Object.fromEntries(Object.keys(headers).map((k) => [k, REDACTED]));
    redacted += Object.keys(hidden).length;
    return { ...spec, webhook: { ...spec.webhook, headers: hidden } };
  });
  return { file: { ...file, triggers }, redacted };
}

/**
 * Puts the server's values back in place of `REDACTED` header values, by trigger and header
 * name, so an export applies without changing (or leaking into the file) any credential.
 * Returns one problem per redacted value the server has no value for.
 */
export function restoreSecrets(specs: TriggerSpec[], current: Trigger[]): string[] {
  const byName = new Map(current.map((t) => [t.name, t]));
  const problems: string[] = [];
  specs.forEach((spec, i) => {
    const headers = spec.webhook?.headers ?? {};
    for (const [key, value] of Object.entries(headers)) {
      if (value !== REDACTED) continue;
      const stored = byName.get(spec.name)?.webhook?.headers ?? {};
      const match = Object.keys(stored).find((k) => k.toLowerCase() === key.toLowerCase());
      if (match !== undefined) headers[key] = stored[match];
      else {
        problems.push(
          `triggers[${i}].webhook.headers.${key}: ${REDACTED} stands for the server's value, ` +
            "and the server has none: write the value in the file",
        );
      }
    }
  });
  return problems;
}
