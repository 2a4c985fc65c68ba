/** One bar: a value with a label; `segments` split it into stacked parts (values sum to `value`). */
export interface Bar {
  label: string;
  value: number;
  segments?: { label: string; value: number }[];
  /** Optional text drawn after the bar (default: the value with `unit`). */
  note?: string;
}

export interface BarPanel {
  title: string;
  unit: string;
  bars: Bar[];
  /** A vertical reference line (e.g. a goal), with its label. */
  reference?: { value: number; label: string };
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const WIDTH = 780;
const LABEL_W = 170;
const BAR_H = 18;
const GAP = 8;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Height of one panel: title, one row per bar, the legend of stacked segments. */
function panelHeight(p: BarPanel): number {
  const legendRows = p.bars.some((b) => b.segments) ? 1 : 0;
  return 30 + p.bars.length * (BAR_H + GAP) + legendRows * 20 + 10;
}

function renderPanel(p: BarPanel, top: number): string {
  const plotW = WIDTH - LABEL_W - 250;
  const max = Math.max(...p.bars.map((b) => b.value), p.reference?.value ?? 0, 1e-9);
  const x = (v: number) => LABEL_W + (Math.max(0, v) / max) * plotW;
  const parts = [`<text x="10" y="${top + 18}" font-size="13" font-weight="bold">${esc(p.title)}</text>`];
  const segmentNames = [...new Set(p.bars.flatMap((b) => (b.segments ?? []).map((s) => s.label)))];
  p.bars.forEach((b, i) => {
    const y = top + 30 + i * (BAR_H + GAP);
    parts.push(`<text x="${LABEL_W - 6}" y="${y + BAR_H - 5}" text-anchor="end" font-size="11">${esc(b.label)}</text>`);
    if (b.segments && b.segments.length > 0) {
      let at = 0;
      for (const s of b.segments) {
        const colour = PALETTE[segmentNames.indexOf(s.label) % PALETTE.length];
        parts.push(`<rect x="${x(at).toFixed(1)}" y="${y}" width="${(x(at + s.value) - x(at)).toFixed(1)}" height="${BAR_H}" fill="${colour}"><title>${esc(`${s.label}: ${fmt(s.value)} ${p.unit}`)}</title></rect>`);
        at += Math.max(0, s.value);
      }
    } else {
      parts.push(`<rect x="${LABEL_W}" y="${y}" width="${(x(b.value) - LABEL_W).toFixed(1)}" height="${BAR_H}" fill="${PALETTE[0]}"/>`);
    }
    parts.push(`<text x="${x(b.value) + 5}" y="${y + BAR_H - 5}" font-size="11">${esc(b.note ?? `${fmt(b.value)} ${p.unit}`)}</text>`);
  });
  if (p.reference) {
    const rx = x(p.reference.value);
    const y1 = top + 26;
    const y2 = top + 30 + p.bars.length * (BAR_H + GAP);
    parts.push(`<line x1="${rx}" x2="${rx}" y1="${y1}" y2="${y2}" stroke="#d62728" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${rx + 3}" y="${y1 + 2}" font-size="10" fill="#d62728">${esc(p.reference.label)}</text>`);
  }
  if (segmentNames.length > 0) {
    const y = top + 30 + p.bars.length * (BAR_H + GAP) + 8;
    let lx = 10;
    segmentNames.forEach((name, i) => {
      parts.push(`<rect x="${lx}" y="${y}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${lx + 14}" y="${y + 9}" font-size="10">${esc(name)}</text>`);
      lx += 24 + name.length * 6;
    });
  }
  return parts.join('\n');
}

/** Horizontal bar panels stacked vertically in one standalone SVG (optionally stacked segments and a goal line). */
export function barChart(title: string, subtitle: string, panels: BarPanel[]): string {
  let top = 50;
  const body: string[] = [];
  for (const p of panels) {
    body.push(renderPanel(p, top));
    top += panelHeight(p);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top + 10}" viewBox="0 0 ${WIDTH} ${top + 10}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${WIDTH / 2}" y="38" text-anchor="middle" font-size="11">${esc(subtitle)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}
