/** Reading and validating request bodies and queries at the route edge. */
import type { Context } from "hono";
import type { z } from "zod";
import {
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../core/errors.ts";
import { FifoDeadlines } from "../core/deadlines.ts";
import { fieldErrors } from "../core/field_errors.ts";
import { jsonTextTooDeep, MAX_JSON_DEPTH } from "../core/json_bounds.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Longest pause between two chunks of a body (`--body-timeout`), set by app.ts. */
    bodyDeadlines: FifoDeadlines;
  }
}

/** Used when the app did not set `bodyDeadlines` (the documented default). */
const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** `application/json` or a `+json` type, any parameters. */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads the whole body as strict UTF-8 JSON. The body must be sent as `application/json` (415
 * otherwise: a browser can send text/plain across sites without asking); at most `maxBytes`,
 * counted as it arrives (413); no pause longer than the body timeout (408). An empty body yields
 * `fallback`, or is a 400 when no fallback is given.
 */
export async function readJson(c: Context, maxBytes: number, fallback?: unknown): Promise<unknown> {
  const type = c.req.header("content-type");
  if (type !== undefined && !JSON_TYPE.test(type)) throw notJson();
  const declared = Number(c.req.header("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) return emptyOr(fallback);
  const bytes = await readAll(body, maxBytes, declared, bodyDeadlines(c));
  if (bytes.byteLength === 0) return emptyOr(fallback);
  if (type === undefined) throw notJson();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError("The request body is not valid UTF-8");
  }
  if (text.trim() === "") return emptyOr(fallback);
  // Deeper nesting overflows the stack in zod and in KV's serializer: a 400, never a 500.
  if (jsonTextTooDeep(text)) {
    throw new ValidationError(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The body's bytes in one buffer, never more than `maxBytes` of it. A body trickled a
 * byte at a time costs one small copy per chunk: each chunk is copied into the buffer and let
 * go at once. (Deno 2.9's request bodies are not byte streams, so a BYOB reader is refused,
 * and asking for one cost an exception per request.) No pause longer than the body timeout:
 * one shared deadline queue per app, not a timer per read.
 */
async function readAll(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  declared: number,
  deadlines: FifoDeadlines,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const stalled = () => new RequestTimeoutError(`The request body stalled for ${deadlines.ms} ms`);
  /** The first chunk as it came (the usual case: the whole body), until a second one comes. */
  let first: Uint8Array | null = null;
  let buf = new Uint8Array(0);
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await deadlines.race(reader.read(), stalled);
      if (done) return first ?? buf.subarray(0, size);
      if (size + value.byteLength > maxBytes) throw tooLarge(maxBytes);
      if (size === 0 && first === null) {
        first = value;
        size = value.byteLength;
        continue;
      }
      if (size + value.byteLength > buf.byteLength) {
        const hint = Number.isInteger(declared) ? declared : 2 * (size + value.byteLength);
        const grown = new Uint8Array(Math.min(maxBytes, Math.max(hint, size + value.byteLength)));
        grown.set(first ?? buf.subarray(0, size));
        buf = grown;
        first = null;
      }
      buf.set(value, size);
      size += value.byteLength;
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
}

/** The stall deadlines of readers outside an app that set its own (the documented default). */
let fallbackDeadlines: FifoDeadlines | null = null;

function bodyDeadlines(c: Context): FifoDeadlines {
  return c.get("bodyDeadlines") ??
    (fallbackDeadlines ??= new FifoDeadlines(DEFAULT_BODY_TIMEOUT_MS));
}

function notJson(): UnsupportedMediaTypeError {
  return new UnsupportedMediaTypeError("The request body must be sent as application/json");
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
