/**
 * Hono's trie router with its answers remembered per method and path: a request to a path
 * seen recently (a trigger fired again, `/trigger_api`, the UI's polls) skips the trie walk
 * and the arrays it allocates (~9% of the bytes a fire request allocates, the largest single
 * site). At most `max` answers, for paths up to 256 characters, are held; when full the memory
 * starts over, so a client sending endless distinct paths costs one map insert per request
 * and a bounded map.
 *
 * Hono's own RegExpRouter would be cheaper still but refuses Tock's route set
 * (`/api/triggers/bulk` beside `/api/triggers/:id/pause`). The answers are shared between
 * requests: Hono reads them (handlers, params) and never writes them.
 */
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

const MAX_PATH = 256;

export class MemoRouter<T> implements Router<T> {
  readonly name = "MemoRouter";
  readonly #inner = new TrieRouter<T>();
  readonly #answers = new Map<string, Result<T>>();
  readonly #max: number;

  constructor(max = 512) {
    this.#max = max;
  }

  /** How many answers are held (for tests). */
  get size(): number {
    return this.#answers.size;
  }

  add(method: string, path: string, handler: T): void {
    this.#answers.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MAX_PATH) return this.#inner.match(method, path);
    const key = method + " " + path;
    let r = this.#answers.get(key);
    if (r === undefined) {
      r = this.#inner.match(method, path);
      if (this.#answers.size >= this.#max) this.#answers.clear();
      this.#answers.set(key, r);
    }
    return r;
  }
}
