/**
 * The Worker that runs Ajv for fire-time payloads, off the event loop. Validators are compiled
 * with a budget check (payload_ajv.ts) so a validation stops itself after `budgetMs`.
 * Messages: in a ValidatorJob (schema and payload as JSON text), out a ValidatorReply.
 */
/// <reference lib="deno.worker" />
import type { ValidateFunction } from "ajv";
import { capErrors } from "./payload_errors.ts";
import { Budget, BudgetExceeded, compileSchema, newAjv } from "./payload_ajv.ts";
import type { ValidatorJob, ValidatorReply } from "./payload_validator_pool.ts";

const budget = new Budget();
(globalThis as unknown as { __tockBudget: Budget }).__tockBudget = budget;
const ajv = newAjv({ budget: true });
/** Compiled validators by schema text; the cap only bounds drift across many versions. */
const cache = new Map<string, ValidateFunction>();

self.onmessage = (e: MessageEvent<ValidatorJob>) => {
  const { id, schema, payload, budgetMs } = e.data;
  let reply: ValidatorReply;
  try {
    let fn = cache.get(schema);
    if (!fn) {
      // Compiling is bounded by the schema limits checked at create, and costs the same for
      // every payload: it is not the payload's budget (a cold worker on a busy machine can
      // take a few hundred ms here). The pool's outer deadline still bounds it.
      fn = compileSchema(ajv, JSON.parse(schema));
      if (cache.size >= 500) cache.clear();
      cache.set(schema, fn);
    }
    budget.start(budgetMs);
    if (fn(JSON.parse(payload))) reply = { id, ok: true };
    else {
      const all = fn.errors ?? [];
      reply = { id, ok: false, total: all.length, errors: capErrors(all) };
    }
  } catch (err) {
    // Out of budget; or a stack overflow on deep data, or a stored schema that no longer
    // compiles: reported, never thrown (an uncaught error would end the worker).
    reply = err instanceof BudgetExceeded
      ? { id, ok: false, expensive: true }
      : { id, ok: false, problem: String((err as Error)?.message ?? err).slice(0, 200) };
  }
  self.postMessage(reply);
};

self.postMessage({ ready: true });
