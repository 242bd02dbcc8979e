// The architecture's rules, checked on every run: dependency-cruiser over src/, load/, harness/ and test/ with
// .dependency-cruiser.cjs (no cycles, rules see ports not the Room, the domain knows no transport, the store
// takes plain data, the SDK shares only the protocol, load/ and test/ stand apart), and file sizes.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

interface CruiseResult {
  summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number };
  modules: { source: string; dependencies: { resolved: string }[] }[];
}

it('has no import cycle and keeps every dependency rule', () => {
  const bin = path.resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const json = execFileSync(process.execPath, [bin, 'src', 'load', 'harness', 'test', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const result = JSON.parse(json) as CruiseResult;
  expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  // The graph is the real one: TypeScript imports were resolved (a parse that found nothing would pass vacuously).
  expect(result.summary.totalCruised).toBeGreaterThan(100);
  const registry = result.modules.find((m) => m.source === 'src/rooms/room-registry.ts');
  expect(registry?.dependencies.map((d) => d.resolved)).toContain('src/rooms/room.ts');
});

/** Files under src/ may pass ~350 lines only where the README's architecture section names them and says why. */
it('keeps files under src/ within ~350 lines unless the README says why', () => {
  const readme = readFileSync('README.md', 'utf8');
  const architecture = readme.slice(readme.indexOf('## Architecture'));
  const long: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(ts|css|html)$/.test(name) && readFileSync(file, 'utf8').split('\n').length > 360) long.push(file);
    }
  };
  walk('src');
  expect(long.filter((file) => !architecture.includes(`\`${file}\``))).toEqual([]);
});
