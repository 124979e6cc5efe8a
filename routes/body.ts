/** Reading and validating request bodies and queries at the route edge. */
import type { Context } from "hono";
import type { z } from "zod";
import { PayloadTooLargeError, ValidationError } from "../errors.ts";
import { fieldErrors } from "../schemas.ts";

/**
 * Reads the whole body, at most `maxBytes` (counted as it streams, so chunked bodies without
 * Content-Length are bounded too), as strict UTF-8 JSON. An empty body yields `fallback`, or is
 * a 400 when no fallback is given.
 */
export async function readJson(c: Context, maxBytes: number, fallback?: unknown): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) return emptyOr(fallback);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (size === 0) return emptyOr(fallback);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const ch of chunks) {
    bytes.set(ch, offset);
    offset += ch.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError("The request body is not valid UTF-8");
  }
  if (text.trim() === "") return emptyOr(fallback);
  if (nestsDeeper(text, MAX_DEPTH)) {
    // KV stores such a value but cannot read it back; everything listing it would fail.
    throw new ValidationError(`The request body nests deeper than ${MAX_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Deepest nesting of arrays and objects accepted in a body. */
const MAX_DEPTH = 64;

/** A linear scan of JSON text: do brackets outside strings nest deeper than `max`? */
function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

function emptyOr(fallback: unknown): unknown {
  if (fallback === undefined) {
    throw new ValidationError("The request body is empty; expected JSON");
  }
  return fallback;
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes`);
}

/** Parses `input` with `schema` or throws a ValidationError with dotted field paths. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const res = schema.safeParse(input);
  if (!res.success) throw new ValidationError(`The ${what} is invalid`, fieldErrors(res.error));
  return res.data;
}

/** The query string as a plain object (last value wins). */
export function queryOf(c: Context): Record<string, string> {
  return Object.fromEntries(new URL(c.req.url).searchParams);
}
