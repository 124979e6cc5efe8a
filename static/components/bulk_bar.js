// @ts-check
// Actions on many triggers at once: what is selected (some rows, or every trigger matching the
// filters), pause/resume/delete through POST /api/triggers/bulk, and what came of it. The bar
// and its buttons stay in place (aria-disabled, not removed), so focus never drops to the body.
import { markup } from "../markup.js";

/** @typedef {import("../api.js").BulkResult} BulkResult */
/**
 * `ids` chosen row by row, or every trigger the filters match (`all`).
 * @typedef {{ all: boolean, ids: Set<string> }} Selection
 */
/** @typedef {{ action: string, result: BulkResult } | null} Outcome */

const DONE = { pause: "Paused", resume: "Resumed", delete: "Deleted" };

/**
 * @param {{
 *   selection: Selection, total: number | null, loaded: number, busy: boolean,
 *   outcome: Outcome, onAct: (action: "pause" | "resume" | "delete") => void,
 *   onSelectAll: () => void, onClear: () => void,
 * }} props `total`: the matching count from the server, when known
 */
export function BulkBar({ selection, total, loaded, busy, outcome, onAct, onSelectAll, onClear }) {
  const n = (/** @type {number} */ v) => v.toLocaleString();
  const count = selection.all ? total ?? loaded : selection.ids.size;
  const none = count === 0;
  const off = none || busy ? "true" : undefined;
  const label = selection.all ? `All ${n(count)} matching selected` : `${n(count)} selected`;
  const canWiden = !selection.all && selection.ids.size > 0 && total !== null &&
    total > selection.ids.size;
  /** @type {(action: "pause" | "resume" | "delete", text: string, cls?: string) => unknown} */
  const button = (action, text, cls = "") =>
    markup`
    <button type="button" class=${`small ${cls}`} data-bulk=${action} aria-disabled=${off}
      onClick=${() => off || onAct(action)}>${text}</button>
  `;
  const r = outcome?.result;
  return markup`
    <div class="bulk-bar" role="group" aria-label="Selected triggers">
      <span class="bulk-count">${label}</span>
      ${
    canWiden && markup`
        <button type="button" class="link small" id="select-matching" onClick=${onSelectAll}>
          Select all ${n(/** @type {number} */ (total))} matching
        </button>
      `
  }
      ${button("pause", "Pause")}
      ${button("resume", "Resume")}
      ${button("delete", "Delete", "danger")}
      ${
    !none && markup`
        <button type="button" class="link small" onClick=${onClear}>Clear selection</button>
      `
  }
      <p class="bulk-result" role="status" aria-live="polite">${
    r
      ? `${DONE[/** @type {keyof typeof DONE} */ (outcome.action)]}: ${n(r.changed)} changed, ` +
        `${n(r.failed.length)} failed (of ${n(r.matched)} matched)` +
        (r.failed.length
          ? `. ${r.failed.slice(0, 3).map((f) => `${f.id}: ${f.error}`).join("; ")}`
          : "")
      : ""
  }</p>
    </div>
  `;
}
