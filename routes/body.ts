/** Reading and validating request bodies and queries at the route edge. */
import type { Context } from "hono";
import type { z } from "zod";
import {
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors.ts";
import { fieldErrors } from "../schemas.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Longest pause between two chunks of a body (`--body-timeout`), set by app.ts. */
    bodyTimeoutMs: number;
  }
}

/** Used when the app did not set `bodyTimeoutMs` (the documented default). */
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
  const bytes = await readAll(body, maxBytes, declared, c.get("bodyTimeoutMs"));
  if (bytes.byteLength === 0) return emptyOr(fallback);
  if (type === undefined) throw notJson();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError("The request body is not valid UTF-8");
  }
  if (text.trim() === "") return emptyOr(fallback);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The body's bytes in one buffer. Each chunk is copied out and let go at once: a body trickled
 * a byte at a time would otherwise keep every chunk (and the far larger buffer each one is a
 * view of) alive until the end, ~46 KiB per byte. The buffer starts at the declared length (or
 * 4 KiB) and doubles, never past `maxBytes`.
 */
async function readAll(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  declared: number,
  stallMs = DEFAULT_BODY_TIMEOUT_MS,
): Promise<Uint8Array> {
  let buf = new Uint8Array(Number.isInteger(declared) && declared >= 0 ? declared : 4096);
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await readWithin(reader, stallMs);
      if (done) return buf.subarray(0, size);
      if (size + value.byteLength > maxBytes) throw tooLarge(maxBytes);
      if (size + value.byteLength > buf.byteLength) {
        const grown = new Uint8Array(
          Math.min(maxBytes, Math.max(buf.byteLength * 2, size + value.byteLength)),
        );
        grown.set(buf.subarray(0, size));
        buf = grown;
      }
      buf.set(value, size);
      size += value.byteLength;
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
}

/** The next chunk, or a 408 when none arrives within `ms`. */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RequestTimeoutError(`The request body stalled for ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
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
