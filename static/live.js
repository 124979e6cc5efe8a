// @ts-check
// Shared live state: the /api/events stream, one ticking clock for every countdown, a fan-out
// for SSE events, and whether the data on screen may be stale (the stream is down).
import { useEffect, useState } from "preact/hooks";
import { ApiError, authHeaders, hasKey, obtainKey } from "./api.js";
import { createSseParser } from "./sse.js";

/** @typedef {import("./api.js").LogEntry} LogEntry */
/** @typedef {"live" | "connecting" | "offline"} LiveStatus */

/**
 * A tiny event hub: `emit(value)` calls every listener; `use(fn)` subscribes while mounted.
 * @template T
 */
function hub() {
  /** @type {Set<(value: T) => void>} */
  const listeners = new Set();
  return {
    /** @param {T} value */
    emit(value) {
      for (const fn of listeners) fn(value);
    },
    /** @param {(value: T) => void} fn */
    use(fn) {
      useEffect(() => {
        listeners.add(fn);
        return () => void listeners.delete(fn);
      }, [fn]);
    },
  };
}

/** @type {ReturnType<typeof hub<LogEntry>>} */
const fired = hub();
/** @type {ReturnType<typeof hub<void>>} */
const resync = hub();
/** @typedef {{ action: "created" | "updated" | "deleted", trigger: import("./api.js").Trigger }} TriggerChange */
/** @type {ReturnType<typeof hub<TriggerChange>>} */
const triggerHub = hub();
/** @type {ReturnType<typeof hub<boolean>>} */
const staleHub = hub();
let staleNow = false;

/** Tell every subscriber about a `fired` event (called by the App's SSE reader). */
export const emitFired = fired.emit;
/** Run `fn(entry)` for each live firing while the component is mounted. */
export const useFired = fired.use;
/** Tell every subscriber about a `trigger` event (a change made anywhere, by any instance). */
export const emitTriggerChange = triggerHub.emit;
/** Run `fn({ action, trigger })` for each live trigger change while the component is mounted. */
export const useTriggerChange = triggerHub.use;
/** Tell every subscriber that the stream reconnected and firings may have been missed. */
export const emitResync = () => resync.emit(undefined);
/** Run `fn()` after the event stream reconnects, to reload what it may have missed. */
export const useResync = resync.use;

/**
 * Mark what is on screen as stale (stream down) or current again.
 * @param {boolean} value
 */
export function setStale(value) {
  if (value === staleNow) return;
  staleNow = value;
  staleHub.emit(value);
}

/** Whether the live stream is down, so times and counts on screen may be out of date. */
export function useStale() {
  const [value, setValue] = useState(staleNow);
  staleHub.use(setValue);
  return value;
}

/** @type {Set<(now: number) => void>} */
const clockListeners = new Set();
/** @type {ReturnType<typeof setInterval> | null} */
let timer = null;

/** The current time in ms, re-rendering the caller once a second (one shared interval). */
export function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    clockListeners.add(setNow);
    if (!timer) {
      timer = setInterval(() => {
        const t = Date.now();
        for (const fn of clockListeners) fn(t);
      }, 1000);
    }
    return () => {
      clockListeners.delete(setNow);
      if (!clockListeners.size && timer) {
        clearInterval(timer);
        timer = null;
      }
    };
  }, []);
  return now;
}

/**
 * Follow GET /api/events with fetch + a stream reader, so the Authorization header is sent
 * (EventSource cannot send it). Reconnects with backoff until `signal` aborts.
 * `onEvent(name, data)` gets parsed JSON.
 * @param {{
 *   onEvent: (name: string, data: any) => void,
 *   onStatus: (status: LiveStatus) => void,
 *   signal: AbortSignal,
 * }} options
 */
export async function followEvents({ onEvent, onStatus, signal }) {
  let delay = 500;
  while (!signal.aborted) {
    onStatus("connecting");
    try {
      const res = await fetch("/api/events", {
        headers: authHeaders({ Accept: "text/event-stream" }),
        signal,
      });
      if (res.status === 401) {
        await obtainKey(hasKey());
        continue;
      }
      if (!res.ok || !res.body) throw new Error(`events answered ${res.status}`);
      onStatus("live");
      delay = 500;
      const parser = createSseParser(({ event, data }) => {
        let parsed;
        try {
          parsed = JSON.parse(data);
        } catch {
          return; // not JSON: not an event the UI knows
        }
        onEvent(event, parsed);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError) throw err;
    }
    if (signal.aborted) return;
    onStatus("offline");
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}
