// @ts-check
// The firings chart with its window choice (1 h / 24 h / 48 h): counts from the server's
// histogram, exact at any rate; live firings add to the current bucket until the next reload.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { problemText } from "../errors.js";
import { useFired, useResync } from "../live.js";
import { countLive, histogramQuery, RANGES } from "../histogram.js";
import { HistogramChart } from "./histogram_chart.js";

/** @typedef {import("../histogram.js").Range} Range */
/** @typedef {import("../api.js").Bucket} Bucket */
/** @typedef {import("../api.js").LogEntry} LogEntry */

/** Re-read the window this often, so it slides and corrects what live counting got wrong. */
const RELOAD_MS = 60_000;
const UNIT = { "1m": "minute", "5m": "5 min", "1h": "hour", "1d": "day" };

/**
 * @param {{
 *   ranges: Range[], initial: Range, trigger?: string, title: string, titleId: string,
 * }} props `trigger`: an id, to chart one trigger's firings
 */
export function FiringsCard({ ranges, initial, trigger, title, titleId }) {
  const [range, setRange] = useState(initial);
  const [state, setState] = useState(
    /** @type {{ buckets: Bucket[] | null, error: string }} */ ({ buckets: null, error: "" }),
  );
  const seq = useRef(0);
  const load = useCallback(() => {
    const mine = ++seq.current;
    api.histogram(histogramQuery(range, Date.now(), trigger)).then(
      (h) => mine === seq.current && setState({ buckets: h.buckets, error: "" }),
      (err) => mine === seq.current && setState({ buckets: null, error: problemText(err) }),
    );
  }, [range, trigger]);

  useEffect(() => {
    load();
    const timer = setInterval(() => document.hidden || load(), RELOAD_MS);
    return () => clearInterval(timer);
  }, [load]);
  useResync(load);
  useFired(useCallback((/** @type {LogEntry} */ e) => {
    if (trigger && e.triggerId !== trigger) return;
    const ms = RANGES[range].bucketMs;
    setState((s) =>
      s.buckets ? { ...s, buckets: countLive(s.buckets, ms, Date.parse(e.firedAt), e.outcome) } : s
    );
  }, [range, trigger]));

  const r = RANGES[range];
  const choices = ranges.length > 1 && markup`
    <div class="range" role="group" aria-label="Chart window">
      ${
    ranges.map((k) =>
      markup`
        <button type="button" class="small" aria-pressed=${k === range ? "true" : "false"}
          onClick=${() => setRange(k)}>${RANGES[k].label}</button>
      `
    )
  }
    </div>
  `;
  return markup`
    <section class="card chart-card" aria-labelledby=${titleId}>
      <div class="card-head"><h2 id=${titleId}>${title}</h2>${choices}</div>
      ${state.error && markup`<p class="error-summary" role="alert">Chart: ${state.error}</p>`}
      ${!state.buckets && !state.error && markup`<p class="muted">Loading…</p>`}
      ${
    state.buckets && markup`
        <${HistogramChart} buckets=${state.buckets} label=${`the last ${r.label}`}
          unit=${UNIT[/** @type {keyof typeof UNIT} */ (r.bucket)]} />
      `
  }
    </section>
  `;
}
