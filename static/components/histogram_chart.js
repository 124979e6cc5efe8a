// @ts-check
// Firings per bucket as an inline SVG bar chart, from the server's exact histogram.
import { markup } from "../markup.js";
import { totals } from "../histogram.js";
import { timeOfDay } from "../format.js";

const W = 600;
const H = 120;
const BASE = 112;
const TOP = 12;

/** @typedef {import("../api.js").Bucket} Bucket */

/**
 * `label` names the window ("the last 24 h"), `unit` one bucket ("5 min").
 * @param {{ buckets: Bucket[], label: string, unit: string }} props
 */
export function HistogramChart({ buckets, label, unit }) {
  const { total, peak, failed } = totals(buckets);
  const bw = W / Math.max(1, buckets.length);
  /** @type {(b: Bucket, i: number) => unknown} */
  const bar = (b, i) => {
    if (!b.count) return null;
    const h = Math.max(2, (b.count / peak) * (BASE - TOP));
    const fh = b.failed ? Math.max(1, (b.failed / b.count) * h) : 0;
    const text = `${b.count} firing${b.count === 1 ? "" : "s"} from ${timeOfDay(b.start)}` +
      (b.failed ? `, ${b.failed} failed` : "");
    return markup`
      <g>
        <title>${text}</title>
        <rect x=${i * bw + bw * 0.1} y=${BASE - h} width=${Math.max(0.5, bw * 0.8)} height=${h}
          class="bar" />
        ${
      fh > 0 &&
      markup`<rect x=${i * bw + bw * 0.1} y=${BASE - fh} width=${
        Math.max(0.5, bw * 0.8)
      } height=${fh} class="bar failed" />`
    }
      </g>
    `;
  };
  const first = buckets[0]?.start;
  const mid = buckets[Math.floor(buckets.length / 2)]?.start;
  const n = (/** @type {number} */ v) => v.toLocaleString();
  return markup`
    <figure class="chart">
      <svg viewBox=${`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img"
        aria-label=${`${n(total)} firings in ${label}, at most ${n(peak)} in ${unit}`}>
        <line x1="0" x2=${W} y1=${TOP} y2=${TOP} class="grid" />
        <line x1="0" x2=${W} y1=${BASE} y2=${BASE} class="axis" />
        ${buckets.map(bar)}
      </svg>
      <div class="chart-labels" aria-hidden="true">
        <span>${first ? timeOfDay(first) : ""}</span><span>${mid ? timeOfDay(mid) : ""}</span>
        <span>now</span>
      </div>
      <figcaption>
        <strong class="chart-total">${n(total)}</strong> firings in ${label} · peak
        <strong>${n(peak)}</strong> per ${unit}${
    failed ? markup` · <strong>${n(failed)}</strong> failed` : ""
  }
      </figcaption>
    </figure>
  `;
}
