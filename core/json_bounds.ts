/** How deep JSON may nest: checked on the raw text before parsing, and on parsed values. */
import { z } from "zod";

/** Deepest nesting of JSON values Tock accepts (payloads, bodies); deeper is a 400. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when the JSON text `text` nests arrays/objects deeper than `max`. A linear scan, for
 * the body parser before `JSON.parse`: deep values overflow the stack of zod, structuredClone
 * and KV's serializer (500s at ~2,000-3,000 levels).
 */
export function jsonTextTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
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

/** True when the parsed value `v` nests deeper than `max`; iterative, any depth is safe. */
export function jsonValueTooDeep(v: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== "object") continue;
    if (d + 1 > max) return true;
    for (const y of Object.values(x)) stack.push([y, d + 1]);
  }
  return false;
}

/** Any JSON value at most MAX_JSON_DEPTH deep (checked before z.json() recurses into it). */
export const BoundedJson = z.unknown().superRefine((v, ctx) => {
  if (jsonValueTooDeep(v)) {
    ctx.addIssue({ code: "custom", message: `Nests deeper than ${MAX_JSON_DEPTH} levels` });
  }
}).pipe(z.json());
