import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO } from './server-process.js';

/**
 * Runs a command whose last stdout line is JSON and returns it parsed; stderr is forwarded. Rejects with
 * the exit code and the output tail when it fails or prints no JSON.
 */
export function runJsonCommand<T>(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${path.basename(command)} ${args[0] ?? ''} exited with ${code}: ${out.slice(-300)}`));
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${path.basename(command)} printed no JSON result: ${out.slice(-300)}`));
      }
    });
  });
}

/** Runs a command to completion (stdout and stderr forwarded to stderr); rejects on a non-zero exit. */
export function runCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', process.stderr, 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ').slice(0, 200)} exited with ${code}`))));
  });
}

/** Environment for the toolchain's Python (the only interpreter with torch/onnx), stitchkit importable. */
export const PYTHON_ENV = { ...process.env, PYTHONPATH: path.join(REPO, 'models', 'toolchain') };

/** A TypeScript script of this repository in a fresh Node process (tsx), with one JSON argument. */
export function runTsChild<T>(script: string, arg: unknown): Promise<T> {
  return runJsonCommand<T>(process.execPath, ['--import', 'tsx', path.join(REPO, script), JSON.stringify(arg)]);
}

/** A Python script under the toolchain's Python, niced; its last stdout line is JSON. */
export function runPython<T>(args: readonly string[]): Promise<T> {
  return runJsonCommand<T>('nice', ['-n', '10', '/usr/bin/python3', ...args], PYTHON_ENV);
}
