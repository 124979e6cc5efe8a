/** The event stream's per-client queue of live frames (routes/events.ts). */

/**
 * Live frames waiting for one client, bounded in bytes. Producers push without waiting; the
 * stream takes them when the connection is ready. Over the bound it stops with `overflow`.
 */
export class FrameQueue {
  #items: { logId: string | null; frame: Uint8Array }[] = [];
  #bytes = 0;
  #wake: (() => void) | null = null;
  closed = false;
  overflow = false;
  /** Called once when the bound is passed. */
  onOverflow: () => void = () => {};

  constructor(readonly maxBytes: number) {}

  push(frame: Uint8Array, logId: string | null = null): void {
    if (this.closed) return;
    this.#bytes += frame.byteLength;
    if (this.#bytes > this.maxBytes) {
      this.overflow = true;
      this.#items = [];
      this.close();
      return this.onOverflow();
    }
    this.#items.push({ logId, frame });
    this.#wake?.();
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
  }

  /** Drops queued firings whose log ids are in `ids` (sent by the replay already). */
  dropLogs(ids: Set<string>): void {
    this.#items = this.#items.filter((it) => {
      if (it.logId === null || !ids.has(it.logId)) return true;
      this.#bytes -= it.frame.byteLength;
      return false;
    });
  }

  /** The next frame, waiting for one; null once closed. */
  async take(): Promise<Uint8Array | null> {
    while (this.#items.length === 0 && !this.closed) {
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = null;
    }
    if (this.closed) return null;
    const it = this.#items.shift()!;
    this.#bytes -= it.frame.byteLength;
    return it.frame;
  }
}
