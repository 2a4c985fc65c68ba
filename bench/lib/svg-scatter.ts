/** One point of a scatter panel; `group` picks its colour and whether it is labelled. */
export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
  group: 'adaptive' | 'slackfit' | 'policy' | 'fixed';
}

export interface ScatterPanel {
  title: string;
  points: ScatterPoint[];
}

const COLOURS: Record<ScatterPoint['group'], string> = {
  adaptive: '#d62728',
  slackfit: '#1f77b4',
  policy: '#2ca02c',
  fixed: '#7f7f7f',
};

const LEGEND: Record<ScatterPoint['group'], string> = {
  adaptive: 'adaptive',
  slackfit: 'slackfit',
  policy: 'fastest / most-accurate',
  fixed: 'fixed:<id> (each frontier stitch; hollow = off the zoomed axes)',
};

const W = 360;
const H = 280;
const PAD = { left: 52, right: 12, top: 28, bottom: 40 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Nice tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

/** Axis range: zoomed on the labelled points (policies) and the best baselines, so their gaps stay visible. */
function range(values: number[], focus: number[], minSpan: number): [number, number] {
  const lo = Math.min(...focus);
  const hi = Math.max(...focus, ...values.filter((v) => v >= lo));
  const pad = Math.max((hi - lo) * 0.08, minSpan / 2);
  return [lo - pad, hi + pad];
}

function panel(p: ScatterPanel, ox: number, oy: number, xLabel: string, yLabel: string): string {
  const focus = p.points.filter((q) => q.group === 'adaptive' || q.group === 'slackfit');
  const bestFixed = p.points.filter((q) => q.group === 'fixed').sort((a, b) => b.y - a.y)[0];
  if (bestFixed !== undefined) focus.push(bestFixed);
  const [x0, x1] = range(p.points.map((q) => q.x), focus.map((q) => q.x), 1);
  const [y0, y1] = range(p.points.map((q) => q.y), focus.map((q) => q.y), 0.5);
  const sx = (x: number): number => ox + PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number): number => oy + H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [
    `<rect x="${ox + PAD.left}" y="${oy + PAD.top}" width="${W - PAD.left - PAD.right}" height="${H - PAD.top - PAD.bottom}" fill="#fff" stroke="#ccc"/>`,
    `<text x="${ox + W / 2}" y="${oy + 18}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(p.title)}</text>`,
    `<text x="${ox + W / 2}" y="${oy + H - 6}" text-anchor="middle" font-size="11">${escapeXml(xLabel)}</text>`,
    `<text x="${ox + 12}" y="${oy + H / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 ${ox + 12} ${oy + H / 2})">${escapeXml(yLabel)}</text>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(`<text x="${sx(t)}" y="${oy + H - PAD.bottom + 13}" text-anchor="middle" font-size="9">${t}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    parts.push(`<text x="${ox + PAD.left - 4}" y="${sy(t) + 3}" text-anchor="end" font-size="9">${t}</text>`);
    parts.push(`<line x1="${ox + PAD.left}" x2="${ox + W - PAD.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
  }
  // Baselines first so the policies are drawn on top.
  const ordered = [...p.points].sort((a, b) => (a.group === 'fixed' ? 0 : 1) - (b.group === 'fixed' ? 0 : 1));
  const labelOffset: Record<ScatterPoint['group'], number> = { adaptive: -8, slackfit: 14, policy: 14, fixed: 0 };
  for (const q of ordered) {
    // Points outside the zoomed range sit on its edge, drawn hollow.
    const inside = q.x >= x0 && q.x <= x1 && q.y >= y0 && q.y <= y1;
    const cx = sx(Math.min(x1, Math.max(x0, q.x))).toFixed(1);
    const cy = sy(Math.min(y1, Math.max(y0, q.y))).toFixed(1);
    const r = q.group === 'fixed' ? 3 : 5;
    const paint = inside ? `fill="${COLOURS[q.group]}" fill-opacity="0.85"` : `fill="none" stroke="${COLOURS[q.group]}"`;
    parts.push(`<circle cx="${cx}" cy="${cy}" r="${r}" ${paint}><title>${escapeXml(q.label)}: SLO ${q.x.toFixed(2)} %, eff. acc. ${q.y.toFixed(2)} %</title></circle>`);
    if (q.group !== 'fixed' && inside) {
      parts.push(`<text x="${(Number(cx) - 7).toFixed(1)}" y="${(Number(cy) + labelOffset[q.group]).toFixed(1)}" text-anchor="end" font-size="10" fill="${COLOURS[q.group]}">${escapeXml(q.label)}</text>`);
    }
  }
  return parts.join('\n');
}

/** A grid of scatter panels as one standalone SVG document. */
export function scatterGrid(title: string, subtitle: string, panels: ScatterPanel[], columns: number, xLabel: string, yLabel: string): string {
  const rows = Math.ceil(panels.length / columns);
  const top = 48;
  const width = columns * W;
  const height = top + rows * H + 24;
  const body = panels.map((p, i) => panel(p, (i % columns) * W, top + Math.floor(i / columns) * H, xLabel, yLabel));
  const legend = (Object.entries(COLOURS) as [ScatterPoint['group'], string][])
    .map(([g, c], i) => `<circle cx="${12 + i * 150}" cy="${height - 10}" r="5" fill="${c}"/><text x="${22 + i * 150}" y="${height - 6}" font-size="11">${escapeXml(LEGEND[g])}</text>`)
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${width / 2}" y="38" text-anchor="middle" font-size="11">${escapeXml(subtitle)}</text>`,
    ...body,
    legend,
    '</svg>',
  ].join('\n');
}
