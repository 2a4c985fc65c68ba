/** Parses a Prometheus text exposition into `series → value` (series = name plus its label text, verbatim). */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (match) out.set(match[1]!, Number(match[2]));
  }
  return out;
}

/** GET <url>/metrics, parsed. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return parseExposition(await res.text());
}

/** Mean of a histogram between two scrapes (Δsum ÷ Δcount), for series `name{labels}`; NaN if nothing observed. */
export function histogramMeanBetween(before: Map<string, number>, after: Map<string, number>, name: string, labels: string): number {
  const get = (m: Map<string, number>, suffix: string) => m.get(`${name}_${suffix}${labels}`) ?? 0;
  const count = get(after, 'count') - get(before, 'count');
  return count > 0 ? (get(after, 'sum') - get(before, 'sum')) / count : NaN;
}
