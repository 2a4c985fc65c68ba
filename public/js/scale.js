// Axis scales for the page's SVG charts: linear or logarithmic, with readable ticks.

/**
 * A scale mapping [lo, hi] onto [from, to] (pixels), logarithmic when `log` (then lo must be > 0).
 * @param {number} lo
 * @param {number} hi
 * @param {number} from
 * @param {number} to
 * @param {boolean} log
 */
export function makeScale(lo, hi, from, to, log) {
  const f = log ? Math.log10 : (v) => v;
  const a = f(lo);
  const b = f(hi);
  const span = b - a || 1;
  return {
    log,
    lo,
    hi,
    /** @param {number} v */
    at: (v) => from + ((f(Math.min(hi, Math.max(lo, v))) - a) / span) * (to - from),
    ticks: () => (log ? logTicks(lo, hi) : linearTicks(lo, hi)),
  };
}

/** About five round ticks over [lo, hi]. */
export function linearTicks(lo, hi, count = 5) {
  const raw = (hi - lo) / count || 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** 1-2-5 ticks over [lo, hi] (lo > 0); falls back to linear ticks on a short range. */
export function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(Number(v.toPrecision(6)));
    }
  }
  return ticks.length >= 2 ? ticks : linearTicks(lo, hi);
}

/** Pads [lo, hi] by `fraction` of its span (or of |lo| when degenerate) on both sides. */
export function padded(lo, hi, fraction, log) {
  if (log) return [lo / (1 + fraction * 2), hi * (1 + fraction * 2)];
  const span = hi - lo || Math.abs(lo) || 1;
  return [lo - span * fraction, hi + span * fraction];
}
