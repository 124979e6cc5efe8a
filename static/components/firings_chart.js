// @ts-check
// Firings per minute over the last hour, as an inline SVG bar chart.
import { markup } from "../markup.js";

const MINUTES = 60;
const W = 600;
const H = 120;
const BASE = 112;
const TOP = 12;

/**
 * `times` are firedAt instants in ms; `now` is the current time in ms.
 * @param {{ times: number[], now: number }} props
 */
export function FiringsChart({ times, now }) {
  const end = Math.floor(now / 60000) * 60000 + 60000;
  const start = end - MINUTES * 60000;
  const buckets = new Array(MINUTES).fill(0);
  for (const t of times) {
    if (t >= start && t < end) buckets[Math.floor((t - start) / 60000)]++;
  }
  const peak = Math.max(...buckets);
  const total = buckets.reduce((a, b) => a + b, 0);
  const bw = W / MINUTES;
  /** @type {(n: number, i: number) => unknown} */
  const bar = (n, i) => {
    if (!n) return null;
    const h = Math.max(2, (n / peak) * (BASE - TOP));
    const ago = MINUTES - 1 - i;
    const label = `${n} firing${n === 1 ? "" : "s"}, ${ago ? `${ago} min ago` : "this minute"}`;
    return markup`
      <rect x=${i * bw + 1} y=${BASE - h} width=${bw - 2} height=${h} class="bar">
        <title>${label}</title>
      </rect>
    `;
  };
  return markup`
    <figure class="chart">
      <svg viewBox=${`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img"
        aria-label=${`${total} firings in the last hour, at most ${peak} in one minute`}>
        <line x1="0" x2=${W} y1=${TOP} y2=${TOP} class="grid" />
        <line x1="0" x2=${W} y1=${BASE} y2=${BASE} class="axis" />
        ${buckets.map(bar)}
      </svg>
      <div class="chart-labels" aria-hidden="true">
        <span>60 min ago</span><span>30 min ago</span><span>now</span>
      </div>
      <figcaption>
        <strong>${total}</strong> firings in the last hour · peak <strong>${peak}</strong>/min
      </figcaption>
    </figure>
  `;
}
