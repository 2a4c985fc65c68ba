import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Streams a file through sha256 (asynchronously, so the event loop keeps running on GB-sized files). */
export async function sha256OfFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 4 * 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Checks that a regular file has the expected byte size and sha256. The size is compared first so a truncated
 * file is reported without hashing it. Returns a problem description or null.
 */
export async function fileIntegrityProblem(
  filePath: string,
  expected: { bytes: number; sha256: string },
): Promise<string | null> {
  const info = await stat(filePath);
  if (!info.isFile()) return 'is not a regular file';
  if (info.size !== expected.bytes) return `has ${info.size} bytes, manifest says ${expected.bytes}`;
  const actual = await sha256OfFile(filePath);
  if (actual !== expected.sha256.toLowerCase()) return `sha256 is ${actual}, manifest says ${expected.sha256}`;
  return null;
}
