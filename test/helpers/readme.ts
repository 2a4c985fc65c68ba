import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md');

/** The rows (cells trimmed, backticks removed) of the first table under the `## <heading>` section of README.md. */
export function readmeTable(heading: string): string[][] {
  const lines = readFileSync(README, 'utf8').split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start === -1) throw new Error(`README.md has no section "## ${heading}"`);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (line.startsWith('|')) {
      inTable = true;
      rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim().replace(/`/g, '')));
    } else if (inTable) {
      break;
    }
  }
  // Drop the header and the --- separator.
  return rows.slice(2);
}
