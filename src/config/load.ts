import { readFileSync } from 'node:fs';
import defaults from '../../config/default.json' with { type: 'json' };
import { configSchema, type CircleConfig } from './schema.js';

export class ConfigError extends Error {}

/** The development secrets shipped in config/default.json; production must replace them. */
const DEV_SECRETS: [string, string, string][] = [
  ['auth.tokenSecret', 'CIRCLE_AUTH_TOKEN_SECRET', defaults.auth.tokenSecret],
  ['admin.bearerSecret', 'CIRCLE_ADMIN_BEARER_SECRET', defaults.admin.bearerSecret],
  ['privacy.secret', 'CIRCLE_PRIVACY_SECRET', defaults.privacy.secret],
];

/** Conventional variable names accepted beside the generated CIRCLE_SECTION_KEY ones. */
export const ALIASES: Record<string, string> = {
  PORT: 'http.port',
  LOG_LEVEL: 'logging.level',
  ANNOUNCED_IP: 'mediasoup.announcedIp',
  TOKEN_SECRET: 'auth.tokenSecret',
  REDIS_URL: 'store.redisUrl',
};

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergeDeep(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? mergeDeep(current, value) : value;
  }
  return out;
}

/** `mediasoup.numWorkers` -> `CIRCLE_MEDIASOUP_NUM_WORKERS` */
export function envNameFor(path: string): string {
  return 'CIRCLE_' + path.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function leafPaths(object: JsonObject, prefix = ''): string[] {
  return Object.entries(object).flatMap(([key, value]) =>
    isObject(value) ? leafPaths(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

function getPath(object: JsonObject, path: string): Json | undefined {
  let node: Json | undefined = object;
  for (const part of path.split('.')) node = isObject(node) ? node[part] : undefined;
  return node;
}

function setPath(object: JsonObject, path: string, value: Json): void {
  const parts = path.split('.');
  let node = object;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!isObject(next)) throw new ConfigError(`configuration key ${path} does not exist`);
    node = next;
  }
  node[parts[parts.length - 1]!] = value;
}

/** Environment values are strings; read them as the type the default has, leaving validation to zod. */
function coerce(raw: string, like: Json | undefined): Json {
  if (Array.isArray(like)) return raw.split(',').map((item) => item.trim()).filter(Boolean);
  if (typeof like === 'number') return raw.trim() === '' ? Number.NaN : Number(raw);
  if (typeof like === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    return raw;
  }
  return raw;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Applied last; tests use it to pick ports and timings. */
  overrides?: JsonObject;
}

export function loadConfig({ env = process.env, overrides = {} }: LoadOptions = {}): CircleConfig {
  let merged: JsonObject = structuredClone(defaults) as JsonObject;
  const sources = new Map<string, string>();
  /** Keys the operator chose (file, environment or overrides), as opposed to the embedded defaults. */
  const chosen = (path: string) => sources.has(path) || getPath(overrides, path) !== undefined || getPath(fileConfig, path) !== undefined;
  let fileConfig: JsonObject = {};

  if (env.CIRCLE_CONFIG_FILE) {
    let fromFile: unknown;
    try {
      fromFile = JSON.parse(readFileSync(env.CIRCLE_CONFIG_FILE, 'utf8'));
    } catch (error) {
      throw new ConfigError(`CIRCLE_CONFIG_FILE ${env.CIRCLE_CONFIG_FILE}: ${(error as Error).message}`);
    }
    if (!isObject(fromFile)) throw new ConfigError('CIRCLE_CONFIG_FILE must hold a JSON object');
    fileConfig = fromFile;
    merged = mergeDeep(merged, fromFile);
  }

  const envKeys = new Map<string, string>(Object.entries(ALIASES));
  for (const path of leafPaths(defaults as JsonObject)) envKeys.set(envNameFor(path), path);
  for (const [name, path] of envKeys) {
    const raw = env[name];
    if (raw === undefined) continue;
    setPath(merged, path, coerce(raw, getPath(defaults as JsonObject, path)));
    sources.set(path, name);
  }
  merged = mergeDeep(merged, overrides);

  // Only an environment that says it is development or test is not production: an unset or misspelt NODE_ENV
  // gets production's refusals (development secrets, demo tokens, bot transports), never their opposite.
  const production = !['development', 'test'].includes(env.NODE_ENV ?? '');
  if (production && getPath(merged, 'auth.devTokens') === true) {
    throw new ConfigError(`invalid configuration: auth.devTokens is for local demos and is refused in production (NODE_ENV=${env.NODE_ENV ?? ''})`);
  }
  // Demo tokens let anyone who reaches the port take any seat: unless the operator chose an address, only this
  // machine may reach it.
  if (getPath(merged, 'auth.devTokens') === true && !chosen('http.host')) setPath(merged, 'http.host', '127.0.0.1');

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const via = sources.get(key);
      const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
      return `${key}${via ? ` (from ${via})` : ''}: ${issue.message}${keys}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  for (const [key, variable, devSecret] of production ? DEV_SECRETS : []) {
    if (getPath(parsed.data as unknown as JsonObject, key) === devSecret) {
      throw new ConfigError(`invalid configuration: ${key} must be set (${variable}) in production`);
    }
  }
  if (production && parsed.data.load.botTransports) {
    throw new ConfigError('invalid configuration: load.botTransports is for benchmarks and is refused in production');
  }
  return parsed.data;
}
