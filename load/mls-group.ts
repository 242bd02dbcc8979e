// What MLS (RFC 9420, with ts-mls) costs a therapy group of 15, and what SFrame costs per frame, measured in one
// Node process (the browsers' engines do the same Web Crypto work): a facilitator starts the group and admits 14
// clients one at a time (each admission a commit with an Add, a Welcome for the newcomer, the commit processed by every
// member already in), one client is removed (a commit every remaining member processes), one member updates its
// keys, and every member derives the frame key of the new epoch from the MLS exporter. The group's time for an epoch
// change is the committer's commit, then the slowest member's processing (members work in parallel, in their own
// browsers). Then SFrame: the time to seal and to open one audio frame (Opus, 80 bytes) and one video frame (VP8, 4 KB),
// and the browser bundle of ts-mls, minified and gzipped.
//
//   npm run load:mls -- --size 15 --rounds 5
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import {
  createCommit,
  createGroup,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  mlsExporter,
  processPrivateMessage,
  type CiphersuiteImpl,
  type ClientState,
  type Proposal,
} from 'ts-mls';
import { FrameSealer, SFrameKey } from '../src/e2ee/sframe.js';
import { openMediaFrame, sealMediaFrame } from '../src/e2ee/media-frames.js';
import { machine, writeResult } from './lib/report.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '15' }, rounds: { type: 'string', default: '5' } } });
const SIZE = Number(values.size);
const ROUNDS = Number(values.rounds);
const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
const encoder = new TextEncoder();

const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
};

interface Member {
  name: string;
  state: ClientState;
}

/** Every member but the committer processes the commit; the slowest is when the group is in the new epoch. */
async function processEverywhere(members: Member[], committer: Member, commit: Awaited<ReturnType<typeof createCommit>>, impl: CiphersuiteImpl): Promise<number> {
  const message = commit.commit;
  if (message.wireformat !== 'mls_private_message') throw new Error('expected a private commit');
  let slowest = 0;
  for (const member of members) {
    if (member === committer) continue;
    const [processed, ms] = await timed(() => processPrivateMessage(member.state, message.privateMessage, emptyPskIndex, impl));
    if (processed.kind !== 'newState') throw new Error('expected a new epoch');
    member.state = processed.newState;
    slowest = Math.max(slowest, ms);
  }
  committer.state = commit.newState;
  return slowest;
}

async function oneGroup(impl: CiphersuiteImpl) {
  const keyPackage = (name: string) => generateKeyPackage({ credentialType: 'basic', identity: encoder.encode(name) }, defaultCapabilities(), defaultLifetime, [], impl);
  const facilitatorKeys = await keyPackage('facilitator');
  const facilitator: Member = { name: 'facilitator', state: await createGroup(encoder.encode('room'), facilitatorKeys.publicPackage, facilitatorKeys.privatePackage, [], impl) };
  const members = [facilitator];
  const admissions: { commitMs: number; joinMs: number; slowestMemberMs: number; epochMs: number; commitBytes: number; welcomeBytes: number }[] = [];
  for (let i = 1; i < SIZE; i += 1) {
    const keys = await keyPackage(`client-${i}`);
    const add: Proposal = { proposalType: 'add', add: { keyPackage: keys.publicPackage } };
    const [commit, commitMs] = await timed(() => createCommit({ state: facilitator.state, cipherSuite: impl }, { extraProposals: [add] }));
    const slowestMemberMs = await processEverywhere(members, facilitator, commit, impl);
    const [state, joinMs] = await timed(() => joinGroup(commit.welcome!, keys.publicPackage, keys.privatePackage, emptyPskIndex, impl, facilitator.state.ratchetTree));
    members.push({ name: `client-${i}`, state });
    admissions.push({
      commitMs,
      joinMs,
      slowestMemberMs,
      epochMs: commitMs + Math.max(slowestMemberMs, joinMs),
      commitBytes: encodeMlsMessage(commit.commit).length,
      welcomeBytes: encodeMlsMessage({ welcome: commit.welcome!, wireformat: 'mls_welcome', version: 'mls10' }).length,
    });
  }
  // The facilitator removes the last client.
  const removed = members.pop()!;
  const leafIndex = members.length; // leaves were filled in order
  const remove: Proposal = { proposalType: 'remove', remove: { removed: leafIndex } };
  const [removal, removeCommitMs] = await timed(() => createCommit({ state: facilitator.state, cipherSuite: impl }, { extraProposals: [remove] }));
  const removeSlowestMs = await processEverywhere(members, facilitator, removal, impl);
  if (removed.state.groupContext.epoch === facilitator.state.groupContext.epoch) throw new Error('the removed member moved on');
  // A client updates its own keys (post-compromise security): an empty commit from it.
  const updater = members[1]!;
  const [update, updateCommitMs] = await timed(() => createCommit({ state: updater.state, cipherSuite: impl }, {}));
  const updateSlowestMs = await processEverywhere(members, updater, update, impl);
  // Every member derives the epoch's frame key.
  const exporterMs: number[] = [];
  const secrets = new Set<string>();
  for (const member of members) {
    const [secret, ms] = await timed(() => mlsExporter(member.state.keySchedule.exporterSecret, 'circle frame key', new Uint8Array(0), 16, impl));
    exporterMs.push(ms);
    secrets.add(Buffer.from(secret).toString('hex'));
  }
  if (secrets.size !== 1) throw new Error('members derived different frame keys');
  return {
    admissions,
    removal: { commitMs: removeCommitMs, slowestMemberMs: removeSlowestMs, epochMs: removeCommitMs + removeSlowestMs, commitBytes: encodeMlsMessage(removal.commit).length },
    update: { commitMs: updateCommitMs, slowestMemberMs: updateSlowestMs, epochMs: updateCommitMs + updateSlowestMs },
    exporterMs,
  };
}

async function frameCosts() {
  const key = await SFrameKey.derive(crypto.getRandomValues(new Uint8Array(16)), 1n);
  const sealer = new FrameSealer(key);
  const keys = () => key;
  const result: Record<string, { sealUs: number; openUs: number; overheadBytes: number }> = {};
  for (const [name, codec, bytes] of [['opus 80 B', 'opus', 80], ['vp8 delta 4 KB', 'vp8', 4096]] as const) {
    const frame = crypto.getRandomValues(new Uint8Array(bytes));
    frame[0] = codec === 'vp8' ? 0x11 : 0x78;
    const runs = 2000;
    let sealed = await sealMediaFrame(sealer, codec, frame);
    const [, sealMs] = await timed(async () => {
      for (let i = 0; i < runs; i += 1) sealed = await sealMediaFrame(sealer, codec, frame);
    });
    const [, openMs] = await timed(async () => {
      for (let i = 0; i < runs; i += 1) await openMediaFrame(keys, codec, sealed);
    });
    result[name] = { sealUs: Math.round((sealMs / runs) * 1000 * 10) / 10, openUs: Math.round((openMs / runs) * 1000 * 10) / 10, overheadBytes: sealed.length - frame.length };
  }
  return result;
}

async function bundleBytes() {
  const bundled = await build({
    stdin: { contents: "export * from 'ts-mls';", resolveDir: process.cwd() },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const code = bundled.outputFiles[0]!.contents;
  return { minifiedKiB: Math.round(code.length / 1024), gzippedKiB: Math.round(gzipSync(code).length / 1024) };
}

const impl = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE));
const rounds = [];
for (let round = 0; round < ROUNDS; round += 1) rounds.push(await oneGroup(impl));
const admissions = rounds.flatMap((r) => r.admissions);
const lastAdmissions = rounds.map((r) => r.admissions.at(-1)!);
const result = {
  machine: machine(),
  suite: SUITE,
  size: SIZE,
  rounds: ROUNDS,
  admit: {
    commitMs: summarize(admissions.map((a) => a.commitMs)),
    newcomerJoinMs: summarize(admissions.map((a) => a.joinMs)),
    slowestMemberMs: summarize(admissions.map((a) => a.slowestMemberMs)),
    epochMsAtFullSize: summarize(lastAdmissions.map((a) => a.epochMs)),
    commitBytesAtFullSize: summarize(lastAdmissions.map((a) => a.commitBytes)),
    welcomeBytesAtFullSize: summarize(lastAdmissions.map((a) => a.welcomeBytes)),
  },
  remove: {
    commitMs: summarize(rounds.map((r) => r.removal.commitMs)),
    slowestMemberMs: summarize(rounds.map((r) => r.removal.slowestMemberMs)),
    epochMs: summarize(rounds.map((r) => r.removal.epochMs)),
    commitBytes: summarize(rounds.map((r) => r.removal.commitBytes)),
  },
  update: { epochMs: summarize(rounds.map((r) => r.update.epochMs)) },
  exporterMs: summarize(rounds.flatMap((r) => r.exporterMs)),
  frames: await frameCosts(),
  bundle: await bundleBytes(),
};
const f = (s: { median: number; p99: number }) => `${s.median} (p99 ${s.p99})`;
console.log(
  writeResult(
    'mls-group',
    result,
    [
      `MLS ${SUITE} with ts-mls, a group of ${SIZE}, ${ROUNDS} rounds (ms, median and p99):`,
      `- admit: commit ${f(result.admit.commitMs)}, newcomer's join ${f(result.admit.newcomerJoinMs)}, slowest member's processing ${f(result.admit.slowestMemberMs)}; epoch change at full size ${f(result.admit.epochMsAtFullSize)}`,
      `- sizes at full size: commit ${result.admit.commitBytesAtFullSize.median} B, welcome ${result.admit.welcomeBytesAtFullSize.median} B`,
      `- remove: commit ${f(result.remove.commitMs)}, slowest member ${f(result.remove.slowestMemberMs)}; epoch change ${f(result.remove.epochMs)}; commit ${result.remove.commitBytes.median} B`,
      `- update (a member's own new keys): epoch change ${f(result.update.epochMs)}`,
      `- exporter (the epoch's frame key): ${f(result.exporterMs)}`,
      `- SFrame per frame (µs): ${Object.entries(result.frames).map(([name, c]) => `${name}: seal ${c.sealUs}, open ${c.openUs}, +${c.overheadBytes} B`).join('; ')}`,
      `- ts-mls in a browser bundle: ${result.bundle.minifiedKiB} KiB minified, ${result.bundle.gzippedKiB} KiB gzipped`,
      '',
    ].join('\n'),
  ),
);
