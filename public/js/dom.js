// Tiny DOM helpers: build elements without innerHTML (every label that reaches the page is text, never markup).

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an HTML element.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attrs] attributes; `class`, `text` (textContent)
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  apply(node, attrs);
  node.append(...children);
  return node;
}

/**
 * Creates an SVG element.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attrs]
 * @param {(Node | string)[]} [children]
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs);
  node.append(...children);
  return node;
}

/** @param {Element} node @param {Record<string, string | number | boolean | undefined>} attrs */
function apply(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
}

/** Formats milliseconds for people: 0.42 ms, 12.3 ms, 1.25 s. @param {number} ms */
export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Formats GFLOPs with 3 significant digits (tiny families have millionths). @param {number} g */
export function formatGflops(g) {
  return `${Number(g.toPrecision(3))} GFLOPs`;
}

/** Formats a fraction as a percentage. @param {number | null | undefined} f */
export function formatPercent(f, digits = 1) {
  return f === null || f === undefined || !Number.isFinite(f) ? '—' : `${(100 * f).toFixed(digits)} %`;
}
