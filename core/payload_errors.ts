/**
 * Ajv's errors as Tock's field errors, capped: a schema can make Ajv report millions of
 * errors (one fire answered a 111 MB body), so at most MAX_ERRORS short messages leave.
 */
import type { ErrorObject } from "ajv";
import type { FieldError } from "./errors.ts";

/** Errors listed in one 422 answer; the detail says how many there were in all. */
export const MAX_ERRORS = 20;
/** Longest error message or path, in characters. */
export const MAX_MESSAGE_CHARS = 200;

/** The first MAX_ERRORS of `errors` as field errors with short paths and messages. */
export function capErrors(errors: ErrorObject[]): FieldError[] {
  return errors.slice(0, MAX_ERRORS).map((e) => ({
    path: clip(pointerToPath(e.instancePath, e.params)),
    message: clip(e.message ?? "Does not match the schema"),
  }));
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE_CHARS ? s.slice(0, MAX_MESSAGE_CHARS - 1) + "…" : s;
}

function pointerToPath(pointer: string, params: Record<string, unknown>): string {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (typeof params.missingProperty === "string") parts.push(params.missingProperty);
  if (typeof params.additionalProperty === "string") parts.push(params.additionalProperty);
  return ["payload", ...parts].join(".");
}
