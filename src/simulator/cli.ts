import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseQualityHint } from '../controller/hints.js';
import type { QualityHint } from '../controller/types.js';
import type { ArrivalSpec } from './arrivals.js';
import { simulate, type SimulationOptions } from './simulate.js';
import { loadLatencyTable, tableFromBundle, type SimTable } from './table.js';

const HELP = `Trace simulator: runs the real controller policy and scheduler core against a latency table.

Usage: npm run simulate -- (--table FILE | --manifest FILE --profile FILE) [options]

Input (one of):
  --table FILE         latency/accuracy table JSON (format in docs/controller.md)
  --manifest FILE      bundle manifest.json, with
  --profile FILE       engine profile JSON {"task:stitch:batch": ms}
Load:
  --arrivals KIND      poisson | gamma | onoff | ramp | replay        (default poisson)
  --rate R             mean arrival rate, requests/s                   (default 10)
  --cv2 X              gamma: squared coefficient of variation         (default 8)
  --on-rate R --off-rate R --on-ms T --off-ms T                        onoff phases (defaults 2×rate, 0, 2000, 2000)
  --ramp-to R --ramp-ms T                                              ramp from --rate to R over T ms
  --replay FILE        arrival times in ms: JSON array or one number per line
  --requests N         number of requests                              (default 10000)
  --budget-ms B|LO-HI  latency budget per request, fixed or uniform    (default 1000)
  --hints MIX          e.g. accurate:0.7,fast:0.2,0.5:0.1 (hint:weight) (default: none → accurate)
Controller:
  --policy P[,P...]    adaptive | slackfit | fixed:<id> | fastest | most-accurate (default adaptive)
  --task T             task to simulate                                (default: the table's first)
  --max-batch N        (default 8)     --queue-bound N (default 256)
  --noise S            σ of log-normal noise on batch times            (default 0.05)
  --seed N             PRNG seed                                       (default 1)
Output:
  --json               print the reports as JSON instead of a table
  -h, --help           this text
`;

const options = {
  table: { type: 'string' },
  manifest: { type: 'string' },
  profile: { type: 'string' },
  arrivals: { type: 'string', default: 'poisson' },
  rate: { type: 'string', default: '10' },
  cv2: { type: 'string', default: '8' },
  'on-rate': { type: 'string' },
  'off-rate': { type: 'string', default: '0' },
  'on-ms': { type: 'string', default: '2000' },
  'off-ms': { type: 'string', default: '2000' },
  'ramp-to': { type: 'string' },
  'ramp-ms': { type: 'string', default: '60000' },
  replay: { type: 'string' },
  requests: { type: 'string', default: '10000' },
  'budget-ms': { type: 'string', default: '1000' },
  hints: { type: 'string' },
  policy: { type: 'string', default: 'adaptive' },
  task: { type: 'string' },
  'max-batch': { type: 'string', default: '8' },
  'queue-bound': { type: 'string', default: '256' },
  noise: { type: 'string', default: '0.05' },
  seed: { type: 'string', default: '1' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];

function num(values: Values, name: keyof Values): number {
  const raw = values[name];
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value)) throw new Error(`--${name} must be a number, got '${String(raw)}'`);
  return value;
}

function loadTable(values: Values): SimTable {
  const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
  if (values.table !== undefined) return loadLatencyTable(readJson(values.table));
  if (values.manifest !== undefined && values.profile !== undefined) {
    return tableFromBundle(readJson(values.manifest) as Parameters<typeof tableFromBundle>[0], readJson(values.profile));
  }
  throw new Error('give --table FILE, or --manifest FILE with --profile FILE');
}

function arrivalSpec(values: Values): ArrivalSpec {
  const rate = num(values, 'rate');
  switch (values.arrivals) {
    case 'poisson':
      return { kind: 'poisson', ratePerS: rate };
    case 'gamma':
      return { kind: 'gamma', ratePerS: rate, cv2: num(values, 'cv2') };
    case 'onoff':
      return {
        kind: 'onoff',
        onRatePerS: values['on-rate'] === undefined ? 2 * rate : num(values, 'on-rate'),
        offRatePerS: num(values, 'off-rate'),
        onMs: num(values, 'on-ms'),
        offMs: num(values, 'off-ms'),
      };
    case 'ramp':
      return { kind: 'ramp', fromPerS: rate, toPerS: num(values, 'ramp-to'), durationMs: num(values, 'ramp-ms') };
    case 'replay': {
      if (values.replay === undefined) throw new Error('--arrivals replay needs --replay FILE');
      const text = readFileSync(values.replay, 'utf8').trim();
      const times = text.startsWith('[') ? (JSON.parse(text) as number[]) : text.split(/\s+/).map(Number);
      return { kind: 'replay', timesMs: times };
    }
    default:
      throw new Error(`--arrivals must be poisson, gamma, onoff, ramp or replay; got '${values.arrivals}'`);
  }
}

function budget(raw: string): SimulationOptions['budgetMs'] {
  const range = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(raw);
  if (range !== null) return [Number(range[1]), Number(range[2])];
  const fixed = Number(raw);
  if (!(fixed > 0)) throw new Error(`--budget-ms must be a positive number or LO-HI, got '${raw}'`);
  return fixed;
}

function hintMix(raw: string | undefined): SimulationOptions['hints'] {
  if (raw === undefined) return undefined;
  return raw.split(',').map((part) => {
    const [hint, weight] = part.split(':');
    const w = Number(weight ?? '1');
    if (!(w > 0)) throw new Error(`--hints: bad weight in '${part}'`);
    return { hint: parseQualityHint(hint ?? '') as QualityHint, weight: w };
  });
}

function main(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options, allowPositionals: false });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const table = loadTable(values);
  const reports = values.policy.split(',').map((policy) =>
    simulate({
      table,
      policy,
      ...(values.task === undefined ? {} : { task: values.task as SimulationOptions['task'] & string }),
      arrivals: arrivalSpec(values),
      requests: num(values, 'requests'),
      budgetMs: budget(values['budget-ms']),
      hints: hintMix(values.hints),
      maxBatch: num(values, 'max-batch'),
      queueBound: num(values, 'queue-bound'),
      noise: num(values, 'noise'),
      seed: num(values, 'seed'),
    }),
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ table: table.name, latencySource: table.latencySource, reports }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`table ${table.name} — latencies ${table.latencySource}\n`);
  console.table(
    reports.map((r) => ({
      policy: r.policy,
      'SLO %': +(100 * r.sloAttainment).toFixed(2),
      'eff acc %': +(100 * r.effectiveAccuracy).toFixed(2),
      'served acc %': +(100 * r.meanAccuracyServed).toFixed(2),
      'goodput/s': +r.goodputPerS.toFixed(2),
      'p50 ms': Math.round(r.latencyP50Ms),
      'p99 ms': Math.round(r.latencyP99Ms),
      rejected: r.rejected,
      dropped: r.expired,
      late: r.late,
      'mean batch': +r.meanBatch.toFixed(2),
    })),
  );
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
