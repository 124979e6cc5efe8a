/**
 * Payload schemas (JSON Schema 2020-12) for api triggers. Checked and bounded on the event
 * loop at create and update (compiling is linear in the schema's size); payloads are validated
 * in a Worker pool with a deadline, because validating can be exponential or hang on a regex.
 */
import { UnavailableError, UnprocessableError } from "./errors.ts";
import { compileSchema, newAjv, re2Engine } from "./payload_ajv.ts";
import { ValidatorPool } from "./payload_validator_pool.ts";
import type { TriggerRecord } from "./schemas.ts";

/** Bounds on a payload schema document, checked at create and update. */
export const SCHEMA_LIMITS = {
  /** Serialized size in UTF-8 bytes. */
  bytes: 16 * 1024,
  /** Nesting of objects and arrays. */
  depth: 32,
  /** Objects that are (sub)schemas, i.e. every object but the values of enum/const/etc. */
  subschemas: 256,
} as const;

/** Keywords whose values are data, not schemas: their objects do not count as subschemas. */
const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples"]);

export interface PayloadSchemasOptions {
  /** Deadline of one payload validation in ms (`--validation-timeout`); default 250. */
  timeoutMs?: number;
  /** Validator workers; default 2. */
  workers?: number;
}

/** Checks schemas and validates payloads; one per process, shared by all routes. */
export class PayloadSchemas {
  #ajv = newAjv();
  #pool: ValidatorPool;

  constructor(opts: PayloadSchemasOptions = {}) {
    this.#pool = new ValidatorPool({ timeoutMs: opts.timeoutMs, size: opts.workers });
  }

  /** The deadline of one validation, in ms. */
  get timeoutMs(): number {
    return this.#pool.timeoutMs;
  }

  /** The problem with a schema document (over a bound, or not compilable), or null. */
  check = (schema: Record<string, unknown> | boolean): string | null => {
    const bound = schemaBoundProblem(schema);
    if (bound) return bound;
    try {
      compileSchema(this.#ajv, schema);
      return null;
    } catch (err) {
      return clip(`Invalid JSON Schema: ${(err as Error).message}`);
    }
  };

  /**
   * Resolves when `payload` fits the record's schema. Throws UnprocessableError (422) listing
   * at most 20 failing paths, or when validation ran out of its time budget.
   */
  async validate(rec: TriggerRecord, payload: unknown): Promise<void> {
    if (rec.payloadSchema === null) return;
    const out = await this.#pool.run(
      JSON.stringify(rec.payloadSchema),
      JSON.stringify(payload ?? null),
    );
    if ("closed" in out) throw new UnavailableError("The server is shutting down");
    if ("timeout" in out || ("expensive" in out)) {
      throw new UnprocessableError(
        `The payload schema of "${rec.name}" is too expensive to evaluate: validation ran out ` +
          `of its ${this.#pool.timeoutMs} ms budget; nothing was fired`,
      );
    }
    if (out.ok) return;
    if ("problem" in out) {
      throw new UnprocessableError(
        `The payload could not be checked against the schema of "${rec.name}": ${out.problem}`,
      );
    }
    const more = out.total > out.errors.length
      ? ` (first ${out.errors.length} of ${out.total})`
      : "";
    throw new UnprocessableError(
      `The payload does not match the schema of "${rec.name}"${more}`,
      out.errors,
    );
  }

  /** Stops the validator workers (at shutdown; tests that validated). */
  close(): void {
    this.#pool.close();
  }
}

/**
 * Why `schema` is over a bound of SCHEMA_LIMITS, or has a `pattern`/`patternProperties`
 * that is not a valid regular expression; null when it is within them. Iterative, so any
 * nesting is safe to walk.
 */
export function schemaBoundProblem(schema: unknown): string | null {
  const bytes = new TextEncoder().encode(JSON.stringify(schema)).byteLength;
  if (bytes > SCHEMA_LIMITS.bytes) {
    return `The schema is ${bytes} bytes; at most ${SCHEMA_LIMITS.bytes} are allowed`;
  }
  let subschemas = 0;
  const stack: { v: unknown; depth: number; data: boolean; at: string }[] = [
    { v: schema, depth: 1, data: false, at: "" },
  ];
  while (stack.length) {
    const { v, depth, data, at } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > SCHEMA_LIMITS.depth) {
      return `The schema nests deeper than ${SCHEMA_LIMITS.depth} levels (at "${clip(at || "/")}")`;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push({ v: x, depth: depth + 1, data, at: `${at}/${i}` }));
      continue;
    }
    if (!data && ++subschemas > SCHEMA_LIMITS.subschemas) {
      return `The schema has more than ${SCHEMA_LIMITS.subschemas} subschemas`;
    }
    for (const [k, x] of Object.entries(v)) {
      const here = `${at}/${k}`;
      if (!data && k === "pattern" && typeof x === "string") {
        const bad = regexProblem(x);
        if (bad) return clip(`Invalid regular expression at "${here}": ${bad}`);
      }
      if (!data && k === "patternProperties" && x && typeof x === "object") {
        for (const p of Object.keys(x)) {
          const bad = regexProblem(p);
          if (bad) return clip(`Invalid regular expression at "${here}": ${bad}`);
        }
      }
      stack.push({ v: x, depth: depth + 1, data: data || DATA_KEYWORDS.has(k), at: here });
    }
  }
  return null;
}

/** Patterns run on RE2 (linear time): no lookaround, no backreferences. */
function regexProblem(source: string): string | null {
  try {
    re2Engine(source, "u");
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function clip(s: string): string {
  return s.length > 200 ? s.slice(0, 199) + "…" : s;
}
