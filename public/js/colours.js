// Colours shared by the result renderers: a class palette and a depth colour map.

/** Distinct, saturated class colours (index 0 = background is never painted). RGB 0..255. */
const PALETTE = [
  [0, 0, 0],
  [230, 25, 75], [60, 180, 75], [255, 200, 25], [0, 130, 200], [245, 130, 48],
  [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [0, 128, 128],
  [170, 110, 40], [128, 0, 0], [0, 0, 128], [128, 128, 0],
];

/**
 * Colour of class `index` (stable across requests, so the legend and the overlay agree).
 * @param {number} index class index (0 = background)
 * @returns {[number, number, number]}
 */
export function classColour(index) {
  if (index === 0) return [0, 0, 0];
  const base = PALETTE[1 + ((index - 1) % (PALETTE.length - 1))];
  return /** @type {[number, number, number]} */ (base);
}

/** CSS `rgb()` of an RGB triple. @param {number[]} rgb */
export function css(rgb) {
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}

/** Viridis, sampled at 8 stops (t = 0 → dark purple, 1 → yellow). */
const VIRIDIS = [
  [68, 1, 84], [70, 50, 127], [54, 92, 141], [39, 127, 142],
  [31, 161, 135], [74, 194, 109], [159, 218, 58], [253, 231, 37],
];

/**
 * Depth colour: NEAR is bright (yellow), FAR is dark (purple), linear in metres between `near` and `far`.
 * @param {number} metres
 * @param {number} near smallest depth of the scale (metres)
 * @param {number} far largest depth of the scale (metres)
 * @returns {[number, number, number]}
 */
export function depthColour(metres, near, far) {
  const span = far - near;
  const t = span > 0 ? 1 - Math.min(1, Math.max(0, (metres - near) / span)) : 1;
  const x = t * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c])));
}

/** A CSS linear-gradient from near (left) to far (right), matching `depthColour`. */
export function depthGradientCss() {
  const stops = [...VIRIDIS].reverse().map((rgb, i) => `${css(rgb)} ${Math.round((100 * i) / (VIRIDIS.length - 1))}%`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

/**
 * Black or white, whichever reads better on `rgb` (WCAG relative luminance; the crossover keeps ≥ 4.5:1
 * for most colours).
 * @param {number[]} rgb
 */
export function textOn(rgb) {
  const linear = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  return luminance > 0.179 ? '#000' : '#fff';
}
