// @ts-check
// A log entry's delivery outcome: ok / pending / failed, with the delivery details.
import { markup } from "../markup.js";

/** @param {{ entry: import("../api.js").LogEntry }} props */
export function OutcomeBadge({ entry }) {
  const d = entry.delivery;
  const parts = [];
  if (d) {
    // The error text often starts with the status already ("HTTP 503: ..."): say it once.
    if (d.status && !d.error?.startsWith(`HTTP ${d.status}`)) parts.push(`HTTP ${d.status}`);
    if (d.attempts) parts.push(`${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`);
    if (d.durationMs !== null && d.durationMs !== undefined) parts.push(`${d.durationMs} ms`);
  }
  return markup`
    <span class="outcome">
      <span class=${`badge outcome-${entry.outcome}`}>${entry.outcome}</span>
      ${parts.length > 0 && markup`<span class="muted">${parts.join(" · ")}</span>`}
      ${d?.error && markup`<span class="error-text">${d.error}</span>`}
      ${!d && entry.outcome === "ok" && markup`<span class="muted">no webhook</span>`}
    </span>
  `;
}
