/** Payload schemas (JSON Schema 2020-12) for api triggers, compiled once per trigger version. */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv";
import { UnprocessableError } from "./errors.ts";
import type { TriggerRecord } from "./schemas.ts";

/** Compiles and caches payload schemas; one per process, shared by all routes. */
export class PayloadSchemas {
  #ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
  #cache = new Map<string, ValidateFunction>();

  /** The problem with a schema document, or null when Ajv compiles it. */
  check = (schema: Record<string, unknown> | boolean): string | null => {
    try {
      this.#compile(schema);
      return null;
    } catch (err) {
      return `Invalid JSON Schema: ${(err as Error).message}`;
    }
  };

  /** Throws UnprocessableError listing each failing path when `payload` fails the schema. */
  validate(rec: TriggerRecord, payload: unknown): void {
    if (rec.payloadSchema === null) return;
    const key = `${rec.id}@${rec.version}`;
    let fn = this.#cache.get(key);
    if (!fn) {
      fn = this.#compile(rec.payloadSchema);
      if (this.#cache.size > 5_000) this.#cache.clear();
      this.#cache.set(key, fn);
    }
    if (fn(payload)) return;
    const errors = (fn.errors ?? []).map((e: ErrorObject) => ({
      path: pointerToPath(e.instancePath, e.params),
      message: e.message ?? "Does not match the schema",
    }));
    throw new UnprocessableError(`The payload does not match the schema of "${rec.name}"`, errors);
  }

  /**
   * Compiles without leaving the schema registered in Ajv: Ajv keeps every compiled schema
   * (a leak across creates, patches and test firings) and refuses a second schema with the same
   * `$id` (two triggers, or two versions of one, could not both use it).
   */
  #compile(schema: Record<string, unknown> | boolean): ValidateFunction {
    try {
      return this.#ajv.compile(schema);
    } finally {
      if (typeof schema === "object") this.#ajv.removeSchema(schema);
    }
  }
}

function pointerToPath(pointer: string, params: Record<string, unknown>): string {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (typeof params.missingProperty === "string") parts.push(params.missingProperty);
  if (typeof params.additionalProperty === "string") parts.push(params.additionalProperty);
  return ["payload", ...parts].join(".");
}
