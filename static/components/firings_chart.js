// Firings per minute over the last hour, as an inline SVG bar chart.
import { html } from "../html.js";

const MINUTES = 60;
const W = 600;
const H = 120;
const PAD_BOTTOM = 18;
const PAD_TOP = 14;

/** `times` are firedAt instants in ms; `now` is the current time in ms. */
export function FiringsChart({ times, now }) {
  const end = Math.floor(now / 60000) * 60000 + 60000;
  const start = end - MINUTES * 60000;
  const buckets = new Array(MINUTES).fill(0);
  for (const t of times) {
    if (t >= start && t < end) buckets[Math.floor((t - start) / 60000)]++;
  }
  const max = Math.max(1, ...buckets);
  const total = buckets.reduce((a, b) => a + b, 0);
  const bw = W / MINUTES;
  const plot = H - PAD_BOTTOM - PAD_TOP;
  return html`
    <figure class="chart">
      <svg viewBox=${`0 0 ${W} ${H}`} role="img" preserveAspectRatio="none"
        aria-label=${`${total} firings in the last hour, at most ${max} in one minute`}>
        <line x1="0" x2=${W} y1=${H - PAD_BOTTOM} y2=${H - PAD_BOTTOM} class="axis" />
        <line x1="0" x2=${W} y1=${PAD_TOP} y2=${PAD_TOP} class="grid" />
        ${buckets.map((n, i) => {
          const h = (n / max) * plot;
          const minsAgo = MINUTES - 1 - i;
          return n > 0 && html`
            <rect x=${i * bw + 1} y=${H - PAD_BOTTOM - h} width=${bw - 2} height=${h} class="bar">
              <title>${n} firing${n === 1 ? "" : "s"}, ${minsAgo === 0
                ? "this minute"
                : `${minsAgo} min ago`}</title>
            </rect>
          `;
        })}
      </svg>
      <div class="chart-labels" aria-hidden="true">
        <span>60 min ago</span><span>30 min ago</span><span>now</span>
      </div>
      <figcaption><strong>${total}</strong> firings in the last hour · peak <strong>${max === 1 &&
          total === 0
        ? 0
        : max}</strong>/min</figcaption>
    </figure>
  `;
}
