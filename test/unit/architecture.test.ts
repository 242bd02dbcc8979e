// The architecture's rules, checked on every run: dependency-cruiser over src/, load/, harness/ and test/ with
// .dependency-cruiser.cjs (no cycles, rules see ports not the Room, the domain knows no transport, the store
// takes plain data, the SDK shares only the protocol, load/ and test/ stand apart), no cycle between the folders of
// src/ either, and file sizes.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

interface CruiseResult {
  summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number };
  modules: { source: string; dependencies: { resolved: string }[] }[];
}

function cruise(): CruiseResult {
  const bin = path.resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const json = execFileSync(process.execPath, [bin, 'src', 'load', 'harness', 'test', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(json) as CruiseResult;
}

const result = cruise();

it('has no import cycle and keeps every dependency rule', () => {
  expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  // The graph is the real one: TypeScript imports were resolved (a parse that found nothing would pass vacuously).
  expect(result.summary.totalCruised).toBeGreaterThan(100);
  const registry = result.modules.find((m) => m.source === 'src/rooms/room-registry.ts');
  expect(registry?.dependencies.map((d) => d.resolved)).toContain('src/rooms/room.ts');
});

/** The folder a file of src/ belongs to: `src/rooms/room.ts` → `rooms`; a file directly under src/ is its own. */
function folderOf(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'src') return undefined;
  return parts.length > 2 ? parts[1] : parts[1]?.replace(/\.ts$/, '');
}

/**
 * A folder is a unit a reader learns whole: if rooms imports quality and quality imports rooms, neither can be read
 * without the other, whatever the files do. So the folders of src/ depend on each other one way too.
 */
it('has no cycle between the folders of src/', () => {
  const arrows = new Map<string, Map<string, string>>();
  for (const module of result.modules) {
    const from = folderOf(module.source);
    for (const dependency of module.dependencies) {
      const to = folderOf(dependency.resolved);
      if (!from || !to || from === to) continue;
      if (!arrows.has(from)) arrows.set(from, new Map());
      arrows.get(from)?.set(to, `${module.source} → ${dependency.resolved}`);
    }
  }
  // Depth-first: a folder met again while still on the path closes a cycle; each arrow is named by one import.
  const cycles: string[] = [];
  const done = new Set<string>();
  const visit = (folder: string, path: string[]) => {
    if (done.has(folder)) return;
    const at = path.indexOf(folder);
    if (at >= 0) {
      const loop = [...path.slice(at), folder];
      cycles.push(loop.slice(1).map((to, i) => arrows.get(loop[i] ?? '')?.get(to)).join(', '));
      return;
    }
    for (const to of arrows.get(folder)?.keys() ?? []) visit(to, [...path, folder]);
    done.add(folder);
  };
  for (const folder of arrows.keys()) visit(folder, []);
  expect(cycles).toEqual([]);
  // The graph is read: the room domain's arrows down are there.
  expect([...(arrows.get('rooms')?.keys() ?? [])]).toEqual(expect.arrayContaining(['media', 'store', 'quality', 'protocol']));

  // docs/architecture.md draws every arrow between folders, and only those.
  const doc = readFileSync('docs/architecture.md', 'utf8');
  const diagram = doc.slice(doc.indexOf('%% folders'), doc.indexOf('```', doc.indexOf('%% folders')));
  const drawn = [...diagram.matchAll(/^\s*(\w+) --> (\w+)$/gm)].map(([, from, to]) => `${from} → ${to}`).sort();
  const real = [...arrows].flatMap(([from, tos]) => [...tos.keys()].map((to) => `${from} → ${to}`)).sort();
  expect(drawn).toEqual(real);
});

/** Files under src/ may pass ~350 lines only where docs/architecture.md's "Long files" names them and says why. */
it('keeps files under src/ within ~350 lines unless docs/architecture.md says why', () => {
  const doc = readFileSync('docs/architecture.md', 'utf8');
  const architecture = doc.slice(doc.indexOf('**Long files.**'), doc.indexOf('## Folders'));
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

/**
 * The room domain knows calls, not the phone: `src/rooms` names the phone only where it speaks the clients' wire
 * protocol or reads the stored record, names clients and stored data already rely on.
 */
it('names the phone in src/rooms only in wire and stored names', () => {
  // `phone:` is the peer's and the lobby entry's field; the rest are event, reason, action and stored field names.
  const WIRE_AND_STORED = new Set(['phone:', 'phoneDigits', 'voiceOnPhone', 'phoneJoinRequested', 'phone-declined', 'taken-by-phone', 'setPhoneEntry', 'phoneIntoHeldSeats']);
  const named = readdirSync('src/rooms')
    .flatMap((name) => [...readFileSync(path.join('src/rooms', name), 'utf8').matchAll(/[\w-]*phone[\w-]*:?/gi)].map(([word]) => `${name}: ${word === 'phone:' ? word : word.replace(/:$/, '')}`))
    .filter((hit) => {
      const word = hit.split(': ')[1] ?? '';
      return !/microphone|headphone/i.test(word) && !WIRE_AND_STORED.has(word);
    });
  expect(named).toEqual([]);
});
