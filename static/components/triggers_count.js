// @ts-check
// The heading's count, honest about paging: "1,007" when the server counts matches (`total`),
// "100+ loaded" while more pages exist, the plain number once everything is loaded.
import { markup } from "../markup.js";

/**
 * @param {{
 *   list: { items: unknown[], nextCursor: string | null, total?: number | null },
 *   extra: number,
 * }} props `extra`: triggers created here that no loaded page holds yet
 */
export function TriggersCount({ list, extra }) {
  const loaded = list.items.length + extra;
  const n = (/** @type {number} */ v) => v.toLocaleString();
  if (typeof list.total === "number") {
    const label = loaded < list.total ? `${n(loaded)} of ${n(list.total)} loaded` : n(list.total);
    return markup`<span class="count" title=${label}>${label}</span>`;
  }
  if (list.nextCursor) {
    return markup`<span class="count">${n(loaded)}+ <span class="unit">loaded</span></span>`;
  }
  return markup`<span class="count">${n(loaded)}</span>`;
}
