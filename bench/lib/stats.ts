/** Small statistics and formatting helpers for the benchmarks. */
export { median } from '../../src/engine/profiler.js';

export const mib = (bytes: number) => bytes / 2 ** 20;

/** A plain-text table: header row, a rule, then rows; columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
