// @ts-check
// Search, tag, status and type filters and the sort of the triggers list; all applied by the
// server. Typing is debounced so a search is one request per pause, not one per key.
import { useEffect, useRef, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { parseTags, SORTS } from "../trigger_query.js";

/** @typedef {import("../trigger_query.js").TriggerQuery} TriggerQuery */

const TYPE_DELAY_MS = 300;

/**
 * @param {{ query: TriggerQuery, onChange: (update: (q: TriggerQuery) => TriggerQuery) => void }} props
 */
export function TriggerFilters({ query, onChange }) {
  const [text, setText] = useState(query.q);
  const [tagText, setTagText] = useState(query.tags.join(", "));
  const timer = useRef(/** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined));
  // The URL (back button, a tag clicked in a row) can change the query under the inputs.
  useEffect(() => setText((t) => (t.trim() === query.q.trim() ? t : query.q)), [query.q]);
  useEffect(() => setTagText(query.tags.join(", ")), [query.tags.join(",")]);
  useEffect(() => () => clearTimeout(timer.current), []);

  /** @param {() => void} fn */
  const later = (fn) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(fn, TYPE_DELAY_MS);
  };
  /** @param {Event & { currentTarget: HTMLInputElement }} e */
  const onSearch = (e) => {
    const value = e.currentTarget.value;
    setText(value);
    later(() => onChange((q) => ({ ...q, q: value })));
  };
  const tags = parseTags(tagText);
  /** @param {Event & { currentTarget: HTMLInputElement }} e */
  const onTags = (e) => {
    const value = e.currentTarget.value;
    setTagText(value);
    const parsed = parseTags(value);
    if (!parsed.invalid.length) later(() => onChange((q) => ({ ...q, tags: parsed.tags })));
  };
  /** @param {"status" | "type" | "sort" | "order"} key */
  const pick = (key) => (/** @type {Event & { currentTarget: HTMLSelectElement }} */ e) => {
    const value = e.currentTarget.value;
    onChange((q) => ({ ...q, [key]: value }));
  };
  return markup`
    <form class="filters trigger-filters" role="search" aria-label="Triggers"
      onSubmit=${(/** @type {Event} */ e) => e.preventDefault()}>
      <label class="grow">Search names
        <input type="search" id="trigger-search" value=${text} onInput=${onSearch}
          autocomplete="off" spellcheck="false" placeholder="part of a name" />
      </label>
      <label>Tags
        <input type="text" id="tag-filter" value=${tagText} onInput=${onTags}
          autocomplete="off" spellcheck="false" placeholder="billing, nightly"
          aria-invalid=${tags.invalid.length ? "true" : undefined}
          aria-describedby=${tags.invalid.length ? "tag-filter-error" : undefined} />
        ${
    tags.invalid.length > 0 && markup`
          <small id="tag-filter-error" class="error">
            Tags use a-z, 0-9 and _ . : / - only: ${tags.invalid.join(", ")}
          </small>
        `
  }
      </label>
      <label>Status
        <select value=${query.status} onChange=${pick("status")}>
          <option value="">All</option>
          <option value="active">Active</option>
          <option value="paused">Paused</option>
          <option value="completed">Completed</option>
        </select>
      </label>
      <label>Type
        <select value=${query.type} onChange=${pick("type")}>
          <option value="">All</option>
          <option value="scheduled">Scheduled</option>
          <option value="api">API</option>
        </select>
      </label>
      <label>Sort by
        <select value=${query.sort} onChange=${pick("sort")}>
          ${SORTS.map(([k, label]) => markup`<option value=${k}>${label}</option>`)}
        </select>
      </label>
      <label>Order
        <select value=${query.order} onChange=${pick("order")}>
          <option value="asc">Ascending</option>
          <option value="desc">Descending</option>
        </select>
      </label>
    </form>
  `;
}
