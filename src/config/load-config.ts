/**
 * Reads a node's configuration once, at start-up: YAML file, then environment, then flags.
 */
import { readFileSync, existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError, NotFoundError, TongbanError } from '../core/errors.ts';
import { configSchema, type Config } from './schema.ts';

/** The config file a data directory holds. */
export const configFileName = 'tongban.yaml';

/** Where a setting may come from, lowest precedence first. */
export interface ConfigSources {
  /** The data directory; relative file settings resolve against it. */
  readonly dir: string;
  /** A config file other than `<dir>/tongban.yaml`. */
  readonly file?: string;
  /** The process environment; only `TONGBAN_*` variables are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Dotted-path overrides, e.g. `{ 'http.port': '8400' }`, from command-line flags. */
  readonly overrides?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** A loaded configuration plus the facts derived from where it was loaded. */
export interface LoadedConfig {
  readonly config: Config;
  readonly dir: string;
  readonly file: string;
  /** The key-encryption secret, read from `keys.secret`, the env or `keys.secretFile`. */
  readonly keySecret: string | undefined;
  /** Absolute path of the SQLite file (unused when `database.url` is set). */
  readonly sqlitePath: string;
}

function settingPaths(): Map<string, readonly [string, string]> {
  const paths = new Map<string, readonly [string, string]>();
  for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
    const inner = unwrapObject(sectionSchema);
    for (const key of Object.keys(inner.shape)) {
      paths.set(envName(section, key), [section, key]);
    }
  }
  return paths;
}

function unwrapObject(schema: z.ZodType): z.ZodObject {
  // Sections are plain strict objects or strict objects wrapped in `.prefault({})`.
  const def = (schema as unknown as { def: { type: string; innerType?: z.ZodType } }).def;
  if (def.type === 'object') return schema as z.ZodObject;
  if (def.innerType) return unwrapObject(def.innerType);
  throw new Error(`config section has unexpected schema type ${def.type}`);
}

/** `http` + `bodyLimitBytes` → `TONGBAN_HTTP_BODY_LIMIT_BYTES`. */
export function envName(section: string, key: string): string {
  return `TONGBAN_${section}_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2')}`.toUpperCase();
}

/** Every setting as `section.key` with its environment variable, for help texts and docs. */
export function listSettings(): { path: string; env: string }[] {
  return [...settingPaths()].map(([env, [section, key]]) => ({ path: `${section}.${key}`, env }));
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TongbanError('config_missing', `Cannot read the config file ${file}.`, { file }, { cause: error });
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = first.linePos?.[0].line;
    throw new InputError(
      `The config file ${file} is not valid YAML${line ? ` (line ${line})` : ''}: ${first.message.split('\n')[0]}`,
      { file, line },
      'config_invalid',
    );
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(`The config file ${file} must hold a mapping of sections.`, { file }, 'config_invalid');
  }
  return value as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, section: string, key: string, value: unknown): void {
  const existing = target[section];
  const sectionObject =
    existing !== null && typeof existing === 'object' && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
  target[section] = { ...sectionObject, [key]: value };
}

/** Explains zod issues in one line per offending key, naming the key and what is allowed. */
function describeIssues(issues: readonly z.core.$ZodIssue[], origin: string): string {
  return issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const where = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
        return `unknown key ${issue.keys.map((k) => `'${where}${k}'`).join(', ')}`;
      }
      const path = issue.path.join('.') || '(top level)';
      if (issue.code === 'invalid_value') return `'${path}': must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      return `'${path}': ${issue.message}`;
    })
    .map((line) => `${line} (${origin})`)
    .join('; ');
}

/** Loads, validates and freezes the configuration of the node in `sources.dir`. */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const file = sources.file ?? join(sources.dir, configFileName);
  if (!existsSync(file)) {
    if (sources.file) throw new TongbanError('config_missing', `The config file ${file} does not exist.`, { file });
    throw new NotFoundError(
      `${sources.dir} is not a Tongban node: it has no ${configFileName}. Create one with 'tongban init --dir ${sources.dir}'.`,
      { dir: sources.dir },
      'not_a_node',
    );
  }
  const raw = readYaml(file);
  const paths = settingPaths();
  const origins: string[] = [file];

  for (const [name, value] of Object.entries(sources.env ?? {})) {
    if (!name.startsWith('TONGBAN_') || value === undefined) continue;
    const target = paths.get(name);
    if (!target) {
      throw new InputError(
        `Unknown environment variable ${name}. Settings are TONGBAN_<SECTION>_<KEY>, e.g. TONGBAN_HTTP_PORT; 'tongban config check --list' shows them all.`,
        { variable: name },
        'config_invalid',
      );
    }
    setPath(raw, target[0], target[1], parseStructured(value));
    origins.push(name);
  }
  for (const [path, value] of Object.entries(sources.overrides ?? {})) {
    if (value === undefined) continue;
    const [section, key, ...rest] = path.split('.');
    if (!section || !key || rest.length > 0 || !paths.has(envName(section, key))) {
      throw new InputError(`Unknown setting '${path}'.`, { path }, 'config_invalid');
    }
    setPath(raw, section, key, value);
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InputError(`Invalid configuration: ${describeIssues(parsed.error.issues, origins.join(', '))}.`, {
      issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    }, 'config_invalid');
  }
  const config = deepFreeze(parsed.data);
  return {
    config,
    dir: sources.dir,
    file,
    keySecret: readKeySecret(config, sources.dir),
    sqlitePath: resolveIn(sources.dir, config.database.sqliteFile),
  };
}

/** Environment values that hold lists or mappings are JSON. */
function parseStructured(value: string): unknown {
  const trimmed = value.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return value;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return value;
  }
}

function readKeySecret(config: Config, dir: string): string | undefined {
  if (config.keys.secret) return config.keys.secret;
  if (!config.keys.secretFile) return undefined;
  const path = resolveIn(dir, config.keys.secretFile);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new TongbanError('config_missing', `Cannot read the key-encryption secret file ${path} (keys.secretFile).`, { file: path }, { cause: error });
  }
}

function resolveIn(dir: string, path: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
