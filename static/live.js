// Shared live state: one ticking clock for every countdown and one fan-out for SSE `fired` events.
import { useEffect, useState } from "preact/hooks";

const firedListeners = new Set();
const clockListeners = new Set();
let timer = null;

/** Tell every subscriber about a `fired` event (called by the App's SSE reader). */
export function emitFired(entry) {
  for (const fn of firedListeners) fn(entry);
}

/** Run `fn(entry)` for each live firing while the component is mounted. */
export function useFired(fn) {
  useEffect(() => {
    firedListeners.add(fn);
    return () => firedListeners.delete(fn);
  }, [fn]);
}

const resyncListeners = new Set();

/** Tell every subscriber that the stream reconnected and firings may have been missed. */
export function emitResync() {
  for (const fn of resyncListeners) fn();
}

/** Run `fn()` after the event stream reconnects, to reload what it may have missed. */
export function useResync(fn) {
  useEffect(() => {
    resyncListeners.add(fn);
    return () => resyncListeners.delete(fn);
  }, [fn]);
}

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
      if (!clockListeners.size) {
        clearInterval(timer);
        timer = null;
      }
    };
  }, []);
  return now;
}
