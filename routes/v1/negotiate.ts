import { ServiceError } from '../../src/errors.js';

/** One media range of an Accept header with its quality. */
interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [range = '', ...params] = part.trim().split(';');
      const [type = '', subtype = ''] = range.trim().toLowerCase().split('/');
      const qParam = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
      const q = qParam === undefined ? 1 : Number(qParam.slice(2));
      return { type, subtype, q: Number.isFinite(q) ? q : 0 };
    })
    .filter((r) => r.type !== '' && r.subtype !== '');
}

/** Quality the Accept ranges give `mediaType` (most specific range wins), 0 when not acceptable. */
function qualityOf(ranges: readonly MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; q: number } = { specificity: -1, q: 0 };
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' && r.subtype === '*' ? 0 : -1;
    if (specificity > best.specificity) best = { specificity, q: r.q };
  }
  return best.q;
}

/**
 * Picks the answer format. `formats` maps each format to its media type, in order of preference (the first is
 * the default). An explicit `requested` format wins if Accept allows its media type; otherwise the format whose
 * media type Accept ranks highest. Throws NOT_ACCEPTABLE naming what can be produced.
 */
export function negotiateFormat<F extends string>(formats: Readonly<Record<F, string>>, requested: F | undefined, accept: string | undefined): F {
  const names = Object.keys(formats) as F[];
  const ranges = accept === undefined || accept.trim() === '' ? [{ type: '*', subtype: '*', q: 1 }] : parseAccept(accept);
  const produced = [...new Set(Object.values<string>(formats))].join(', ');
  if (requested !== undefined) {
    if (qualityOf(ranges, formats[requested]) > 0) return requested;
    throw new ServiceError('NOT_ACCEPTABLE', `format=${requested} produces ${formats[requested]}, which the Accept header excludes.`);
  }
  let chosen: F | undefined;
  let chosenQ = 0;
  for (const name of names) {
    const q = qualityOf(ranges, formats[name]);
    if (q > chosenQ) [chosen, chosenQ] = [name, q];
  }
  if (chosen === undefined) throw new ServiceError('NOT_ACCEPTABLE', `This endpoint answers with ${produced}; the Accept header allows none of them.`);
  return chosen;
}
