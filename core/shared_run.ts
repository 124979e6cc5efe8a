/**
 * One expensive read shared by the requests that want it, without serving anyone an answer
 * older than their request: while a run is under way, callers wait for the next one, which
 * starts when it ends and is shared by every caller that arrived meanwhile. However many
 * requests come, at most one run is under way and one waits.
 */
export class SharedRun<T> {
  #running: Promise<T> | null = null;
  #next: Promise<T> | null = null;

  /** The result of a run of `fn` that starts no earlier than this call. */
  run(fn: () => Promise<T>): Promise<T> {
    if (this.#running === null) return this.#start(fn);
    this.#next ??= this.#running.then(noop, noop).then(() => {
      this.#next = null;
      return this.#start(fn);
    });
    return this.#next;
  }

  #start(fn: () => Promise<T>): Promise<T> {
    const run: Promise<T> = fn().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }
}

function noop(): void {}
