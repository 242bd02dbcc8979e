import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import defaults from '../../config/default.json' with { type: 'json' };
import { CONFIG_DESCRIPTIONS } from '../../src/config/descriptions.js';
import { configurationReference } from '../../src/config/reference.js';

const leaves = (object: object, prefix = ''): string[] =>
  Object.entries(object).flatMap(([key, value]) => (value && typeof value === 'object' && !Array.isArray(value) ? leaves(value, `${prefix}${key}.`) : [`${prefix}${key}`]));

it('describes every configuration key once, and no key that does not exist', () => {
  const described = CONFIG_DESCRIPTIONS.flatMap((row) => row.keys);
  expect([...described].sort()).toEqual(leaves(defaults).sort());
  expect(new Set(described).size).toBe(described.length);
});

it('docs/configuration.md is what the configuration generates (npm run docs:config)', () => {
  const reference = configurationReference();
  expect(readFileSync('docs/configuration.md', 'utf8')).toBe(reference);
  expect(reference).toContain('| `http.port` | `CIRCLE_HTTP_PORT`, `PORT` | `3000` |');
  expect(reference).toContain('| `api.keys` | `CIRCLE_API_KEYS` (comma-separated) | none |');
});
