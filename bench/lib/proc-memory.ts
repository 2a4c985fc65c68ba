import { readFileSync } from 'node:fs';

/** Resident memory of a process from /proc/<pid>/status, in bytes (Linux only). */
export interface ProcMemory {
  /** VmRSS: everything resident (anonymous + file-backed + shared). */
  rss: number;
  /** VmHWM: peak resident set. */
  peakRss: number;
  /** RssAnon: heap, ORT arenas, prepacked weights, copies of initializers. */
  anon: number;
  /** RssFile: resident pages of mapped files (mmapped external weights, shared libraries). */
  file: number;
}

export function procMemory(pid: number | 'self' = 'self'): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}
