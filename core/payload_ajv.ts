/**
 * The one Ajv configuration, shared by the schema check (main thread) and the validator
 * workers. Two choices make validation bounded even where a Worker cannot be stopped (Deno
 * 2.9's `Worker.terminate()` does not interrupt a busy worker; measured):
 * - patterns run on RE2 (re2js), which matches in linear time: `^(a+)+$` cannot backtrack;
 * - validators compiled with a budget check at the entry of every generated function, so an
 *   exponential schema (nested anyOf of $refs) stops itself once its time is up.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import type { RegExpEngine } from "ajv/dist/types/index.js";
import { RE2JS } from "re2js";

/** Every function Ajv generates starts with this; the budget check goes right after it. */
const FN_PROLOGUE = "let vErrors = null;let errors = 0;";
const BUDGET_CHECK = "if(globalThis.__tockBudget.tick())throw globalThis.__tockBudget.stop;";

/** Thrown inside a validator whose budget ran out. */
export class BudgetExceeded extends Error {}

/** The running validation's budget: a deadline checked every 256 calls. */
export class Budget {
  #calls = 0;
  #until = Infinity;
  readonly stop = new BudgetExceeded("Validation ran out of its time budget");

  /** Arms the budget for one validation lasting at most `ms`. */
  start(ms: number): void {
    this.#calls = 0;
    this.#until = performance.now() + ms;
  }

  /** True when the budget is spent. */
  tick(): boolean {
    return (++this.#calls & 255) === 0 && performance.now() > this.#until;
  }
}

/** RE2 in place of RegExp, with JS's `\uXXXX` and `\u{X}` escapes spelled RE2's way. */
export const re2Engine: RegExpEngine = Object.assign(
  (pattern: string, _flags: string) => {
    const re = RE2JS.compile(toRe2Syntax(pattern));
    // Ajv keys its compiled patterns by toString(): each pattern needs its own.
    return { test: (s: string) => re.matcher(s).find(), toString: () => `re2:${pattern}` };
  },
  { code: "re2" },
);

function toRe2Syntax(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const rest = pattern.slice(i + 1);
    const m = /^u([0-9a-fA-F]{4})/.exec(rest) ?? /^u\{([0-9a-fA-F]{1,6})\}/.exec(rest);
    if (m) {
      out += `\\x{${m[1]}}`;
      i += m[0].length;
    } else {
      out += ch + (pattern[i + 1] ?? "");
      i++;
    }
  }
  return out;
}

/**
 * A new Ajv. With `budget`, compiled validators check `globalThis.__tockBudget` (a Budget)
 * on every call; only the validator worker sets that global and asks for it.
 * `inlineRefs: false` keeps compilation linear in the schema's size: inlining copies a
 * referenced schema into every place that names it.
 */
export function newAjv(opts: { budget?: boolean } = {}): Ajv2020 {
  const process = opts.budget
    ? (code: string) => {
      if (!code.includes(FN_PROLOGUE)) throw new Error("Unexpected validator code from Ajv");
      return code.replaceAll(FN_PROLOGUE, FN_PROLOGUE + BUDGET_CHECK);
    }
    : undefined;
  return new Ajv2020({
    allErrors: true,
    strict: false,
    logger: false,
    inlineRefs: false,
    code: { regExp: re2Engine, process },
  });
}

/**
 * Compiles without leaving the schema registered in Ajv: Ajv keeps every compiled schema
 * (a leak across creates, patches and test firings) and refuses a second schema with the same
 * `$id` (two triggers, or two versions of one, could not both use it).
 */
export function compileSchema(
  ajv: Ajv2020,
  schema: Record<string, unknown> | boolean,
): ValidateFunction {
  try {
    return ajv.compile(schema);
  } finally {
    if (typeof schema === "object") ajv.removeSchema(schema);
  }
}
