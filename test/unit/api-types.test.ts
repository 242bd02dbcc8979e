import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { API_TYPES_FILE, apiTypes } from '../../scripts/api-types.js';

it('the server SDK’s API types are what the OpenAPI document generates (npm run gen:api-types)', async () => {
  expect(readFileSync(API_TYPES_FILE, 'utf8')).toBe(await apiTypes());
});
