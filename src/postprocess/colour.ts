/** An 8-bit RGB colour. */
export type Rgb = readonly [number, number, number];

/**
 * The colour of class `index` in colourised masks: the bit-interleaving palette used by PASCAL VOC tools
 * (class 0 black, then well-separated colours), so masks look familiar next to other segmentation tools.
 */
export function classColour(index: number): Rgb {
  let r = 0;
  let g = 0;
  let b = 0;
  let c = index;
  for (let bit = 7; bit >= 0 && c > 0; bit--) {
    r |= (c & 1) << bit;
    g |= ((c >> 1) & 1) << bit;
    b |= ((c >> 2) & 1) << bit;
    c >>= 3;
  }
  return [r, g, b];
}

/** Control points of a perceptually ordered dark-purple → teal → yellow ramp (viridis-like). */
const RAMP: readonly Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Colour of t ∈ [0, 1] on the ramp (clamped): 0 dark purple, 1 yellow. */
export function rampColour(t: number): Rgb {
  const x = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2);
  const f = x - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}
