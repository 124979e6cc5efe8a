/** Plain-text tables for a terminal: columns padded to their widest cell, two spaces apart. */

/**
 * Renders rows under a header line, each column as wide as its widest cell.
 * @example table(["ID", "NAME"], [["01J...", "nightly"]])
 */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  return [headers, ...rows].map((row) => line(row, widths)).join("\n");
}

/** One row padded to fixed widths (the last column is not padded, so no trailing blanks). */
export function line(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(Math.max(0, widths[i] - width(c)))))
    .join("  ")
    .trimEnd();
}

/** "key  value" lines, keys aligned; for one record. */
export function keyValues(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => width(k)));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`.trimEnd()).join("\n");
}

function width(s: string): number {
  return [...s].length;
}
