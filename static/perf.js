// @ts-check
// Performance marks for "the view shows its content", read by bench/ui_bench.ts (first render
// per view, from the navigation's start). One mark per view per page load.
import { useEffect } from "preact/hooks";

/** @type {Set<string>} */
const marked = new Set();

/**
 * Mark `tock:<view>:ready` the first time `ready` is true in this page load.
 * @param {string} view
 * @param {boolean} ready
 */
export function useReadyMark(view, ready) {
  useEffect(() => {
    if (!ready || marked.has(view)) return;
    marked.add(view);
    try {
      performance.mark(`tock:${view}:ready`);
    } catch { /* no User Timing: nothing to measure */ }
  }, [ready]);
}
