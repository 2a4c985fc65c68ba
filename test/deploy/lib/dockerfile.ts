/**
 * The Dockerfile as a list of build stages, parsed with `dockerfile-ast` (the parser behind the Docker
 * language server), with the global ARGs substituted into FROM lines the way BuildKit does.
 */
import { DockerfileParser, type Instruction, type JSONInstruction } from 'dockerfile-ast';

/** One `FROM … AS name` block. */
export interface Stage {
  /** Stage name (`AS …`), or its index as a string when unnamed. */
  name: string;
  /** The FROM argument with global ARG defaults substituted (an image reference or an earlier stage name). */
  from: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** Global ARGs (before the first FROM) and their defaults, in order, already expanded. */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

/** Replaces `${NAME}` and `$NAME` by values from `vars`; unknown names are left as they are. */
export function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, bare?: string) =>
    vars.get((braced ?? bare)!) ?? whole);
}

/** Parses `text`; throws if it has no FROM. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(text);
  const globalArgs = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property === null) continue;
    globalArgs.set(property.getName(), substitute(property.getValue() ?? '', globalArgs));
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const asAt = args.findIndex((a) => a.toUpperCase() === 'AS');
      const image = args.filter((a) => !a.startsWith('--'))[0] ?? '';
      stages.push({
        name: asAt >= 0 ? args[asAt + 1]! : String(stages.length),
        from: substitute(image, globalArgs),
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  if (stages.length === 0) throw new Error('Dockerfile has no FROM');
  return { globalArgs, stages };
}

/** The stage's instructions with `keyword` (upper case). */
export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.getKeyword() === keyword);
}

/** The JSON (exec form) strings of an ENTRYPOINT/CMD/HEALTHCHECK-like instruction; null for shell form. */
export function execForm(instruction: Instruction): string[] | null {
  const strings = (instruction as JSONInstruction).getJSONStrings?.() ?? [];
  if (strings.length === 0) return null;
  return strings.map((s) => s.getJSONValue());
}

/** The last value of `name` set by ENV in `stage` (ARGs of the stage substituted), or undefined. */
export function envValue(stage: Stage, name: string): string | undefined {
  let value: string | undefined;
  for (const env of instructionsOf(stage, 'ENV')) {
    for (const arg of env.getExpandedArguments()) {
      const [key, ...rest] = arg.getValue().split('=');
      if (key === name) value = rest.join('=');
    }
  }
  return value;
}

/** The external image a stage builds on, following `FROM <earlier stage>` links. */
export function baseImageOf(parsed: ParsedDockerfile, stage: Stage): string {
  const seen = new Set<string>();
  let current: Stage | undefined = stage;
  while (current !== undefined) {
    if (seen.has(current.name)) throw new Error(`stage cycle at ${current.name}`);
    seen.add(current.name);
    const parent: Stage | undefined = parsed.stages.find((s) => s.name === current!.from);
    if (parent === undefined) return current.from;
    current = parent;
  }
  throw new Error('unreachable');
}

/** Splits an image reference into repository, tag and digest (`node:24-slim@sha256:…`). */
export function splitImage(reference: string): { repository: string; tag?: string; digest?: string } {
  const [beforeDigest, digest] = reference.split('@') as [string, string | undefined];
  const colon = beforeDigest.lastIndexOf(':');
  const hasTag = colon > beforeDigest.lastIndexOf('/');
  return {
    repository: hasTag ? beforeDigest.slice(0, colon) : beforeDigest,
    ...(hasTag ? { tag: beforeDigest.slice(colon + 1) } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}
