import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

type AddFormats = (ajv: Ajv) => unknown;
// ajv-formats is CommonJS with `exports.default`; under NodeNext the callable sits on `.default`.
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

/** Walks up from this module to the repository root and returns models/bundle.schema.json. */
export function defaultSchemaPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'models', 'bundle.schema.json');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('models/bundle.schema.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

const validators = new Map<string, Promise<ValidateFunction>>();

/** Compiles (once per path) the bundle JSON Schema, picking the ajv dialect from its `$schema`. */
export function manifestValidator(schemaPath: string): Promise<ValidateFunction> {
  let validator = validators.get(schemaPath);
  if (validator === undefined) {
    validator = compile(schemaPath);
    validators.set(schemaPath, validator);
    validator.catch(() => validators.delete(schemaPath));
  }
  return validator;
}

async function compile(schemaPath: string): Promise<ValidateFunction> {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8')) as { $schema?: string };
  const dialect = schema.$schema ?? '';
  const options = { allErrors: true, strict: false };
  const ajv = dialect.includes('2020-12')
    ? new Ajv2020(options)
    : dialect.includes('2019-09')
      ? new Ajv2019(options)
      : new Ajv(options);
  addFormats(ajv as Ajv);
  return ajv.compile(schema);
}

/** "/stitches/3/slots/2" → "stitches[3].slots[2]" (empty pointer → "(root)"). */
export function jsonPointerToPath(pointer: string): string {
  if (pointer === '') return '(root)';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? (out ? `.${seg}` : seg) : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** One readable line per ajv error, naming the manifest field and the offending value where useful. */
export function describeSchemaError(error: ErrorObject, manifest: unknown): string {
  const where = jsonPointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties':
      return `${where} has unknown property "${String(params.additionalProperty)}"`;
    case 'required':
      return `${where} is missing required property "${String(params.missingProperty)}"`;
    case 'enum':
      return `${where} = ${valueAt(manifest, error.instancePath)} must be one of ${JSON.stringify(params.allowedValues)}`;
    case 'const':
      return `${where} = ${valueAt(manifest, error.instancePath)} must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return `${where} = ${valueAt(manifest, error.instancePath)} ${error.message ?? 'is invalid'}`;
  }
}

function valueAt(root: unknown, pointer: string): string {
  let node: unknown = root;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return 'undefined';
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  const text = JSON.stringify(node) ?? 'undefined';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Validates a parsed manifest and returns every violation (empty when valid), prefixed "manifest.json: ". */
export async function schemaProblems(manifest: unknown, schemaPath: string): Promise<string[]> {
  const validate = await manifestValidator(schemaPath);
  if (validate(manifest)) return [];
  // ajv may report one field under several keywords (e.g. oneOf + type); keep each distinct line once.
  return [...new Set((validate.errors ?? []).map((e) => `manifest.json: ${describeSchemaError(e, manifest)}`))];
}
