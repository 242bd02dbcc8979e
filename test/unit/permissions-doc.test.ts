import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { PERMISSIONS, authorize } from '../../src/rooms/permissions.js';
import { ROLES } from '../../src/protocol/roles.js';

it.each(['docs/protocol.md'])('%s shows exactly the permission table the server enforces', (file) => {
  const doc = readFileSync(file, 'utf8');
  const table = doc.slice(doc.indexOf('<!-- permissions:start -->'), doc.indexOf('<!-- permissions:end -->'));
  const rows = table
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| action') && !line.startsWith('| ---'));
  const documented = Object.fromEntries(
    rows.map((row) => {
      const cells = row.split('|').map((cell) => cell.trim());
      const [action, , ...allowed] = cells.slice(1, -1);
      return [action, ROLES.filter((_, i) => allowed[i] === 'yes')];
    }),
  );
  expect(documented).toEqual(PERMISSIONS);
});

it('refuses an allowed action on someone of equal or higher rank', () => {
  expect(() => authorize('cofacilitator', 'mute', 'client')).not.toThrow();
  expect(() => authorize('cofacilitator', 'mute', 'cofacilitator')).toThrowError(/may not mute a cofacilitator/);
  expect(() => authorize('facilitator', 'remove', 'facilitator')).toThrowError('a facilitator may not remove a facilitator');
  expect(() => authorize('client', 'mute')).toThrowError('a client may not mute');
});
