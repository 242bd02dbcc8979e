// Messages over real sockets, a real server and a real Redis: who reads what, the group switch, bad and flooding
// input, a reader reconnecting, removal; and that no message text reaches Redis or /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCircle, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import type { ChatMessage } from '../../src/protocol/events.js';
import { RedisServer, storedStrings } from '../../harness/redis-server.js';

let redis: RedisServer;
let server: RunningCircle;
const clients: TestClient[] = [];
const people: Record<string, TestClient> = {};
const resumeTokens: Record<string, string> = {};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SECRET_TEXTS: string[] = [];

async function seat(participantId: string, role: string): Promise<TestClient> {
  const client = await connect(server.url);
  clients.push(client);
  const { token } = await devToken(server.url, { room: 'group', name: `Name of ${participantId}`, participantId, role });
  resumeTokens[participantId] = (await client.ok<{ resumeToken: string }>('join', { token })).resumeToken;
  return (people[participantId] = client);
}

/** A text no one could find by chance, remembered so the store and metrics can be searched for it. */
const secret = (label: string) => {
  const text = `${label} ${Math.random().toString(36).slice(2)} I am not safe tonight`;
  SECRET_TEXTS.push(text);
  return text;
};

const messagesOf = (participantId: string) => people[participantId]!.events('message') as ChatMessage[];
const readers = (text: string) => Object.keys(people).filter((id) => messagesOf(id).some((m) => m.text === text)).sort();

beforeAll(async () => {
  redis = await RedisServer.start();
  server = await startCircle({ store: { redisUrl: redis.url, snapshotIntervalMs: 100 }, sessions: { resumeGraceMs: 5000 }, messages: { perSecond: 1, burst: 8 } });
  const fran = await seat('fran', 'facilitator');
  await seat('cole', 'cofacilitator');
  for (const id of ['ana', 'ben', 'carl']) {
    await seat(id, 'client');
    await fran.ok('admit', { participantId: id });
  }
  await seat('wes', 'client'); // stays in the waiting room
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
  await redis?.stop();
});

describe('who reads a message', () => {
  it('to the staff: the facilitator and the co-facilitator, no client, not the waiting room', async () => {
    const text = secret('staff');
    expect(await people.ana!.call('sendMessage', { to: 'staff', text })).toMatchObject({ ok: true, data: { messageId: expect.any(String) } });
    await sleep(200);
    expect(readers(text)).toEqual(['cole', 'fran']);
    expect(messagesOf('fran').find((m) => m.text === text)).toMatchObject({ from: 'ana', fromName: 'Name of ana', to: 'staff' });
  });

  it("a private answer reaches that one client only", async () => {
    const text = secret('private');
    await people.fran!.ok('sendMessage', { to: { participantId: 'ana' }, text });
    await sleep(200);
    expect(readers(text)).toEqual(['ana']);
    expect(messagesOf('ana').find((m) => m.text === text)).toMatchObject({ from: 'fran', to: 'ana' });
    // A client cannot write privately to another client.
    expect(await people.ana!.call('sendMessage', { to: { participantId: 'ben' }, text: 'psst' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('to everyone: the admitted group, not the sender, not the waiting room', async () => {
    const text = secret('everyone');
    await people.ben!.ok('sendMessage', { to: 'everyone', text });
    await sleep(200);
    expect(readers(text)).toEqual(['ana', 'carl', 'cole', 'fran']);
    // A waiting client may not write at all.
    expect(await people.wes!.call('sendMessage', { to: 'staff', text: 'let me in' })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
  });
});

describe('the group switch and bad input', () => {
  it('group messages off: FORBIDDEN for clients, staff still write to everyone, everyone sees the switch', async () => {
    const shown = people.ana!.next<{ groupMessages: boolean }>('roomUpdated');
    expect(await people.ana!.call('setGroupMessages', { enabled: false })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await people.cole!.ok('setGroupMessages', { enabled: false });
    expect(await shown).toMatchObject({ groupMessages: false });
    expect(await people.carl!.call('sendMessage', { to: 'everyone', text: 'hello' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await people.carl!.call('sendMessage', { to: 'staff', text: 'may I share something?' })).toMatchObject({ ok: true });
    expect(await people.fran!.call('sendMessage', { to: 'everyone', text: 'we will talk, not type, for now' })).toMatchObject({ ok: true });
    await people.fran!.ok('setGroupMessages', { enabled: true });
    const audit = await people.fran!.ok<{ entries: { action: string; actor: string }[] }>('getAuditLog', {});
    expect(audit.entries.filter((e) => e.action === 'setGroupMessages').map((e) => e.actor)).toEqual(['cole', 'fran']);
  });

  it('refuses oversized, empty-after-normalising and flooding input with clear errors; normalises the rest', async () => {
    const tooLong = await people.carl!.call<never>('sendMessage', { to: 'staff', text: 'x'.repeat(1001) });
    expect(tooLong).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('1,000') } });
    const invisible = await people.carl!.call<never>('sendMessage', { to: 'staff', text: '\u202e\u200b\u0000\u0007' });
    expect(invisible).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('empty') } });
    await people.carl!.ok('sendMessage', { to: 'staff', text: 'line one\n\u202egnirts\u200b two' });
    await sleep(200);
    expect(messagesOf('fran').map((m) => m.text)).toContain('line one\ngnirts two');
    // Carl has spent some of his burst of 8 above; a flood runs out, others are unaffected.
    const flood = await Promise.all(Array.from({ length: 12 }, () => people.carl!.call<never>('sendMessage', { to: 'staff', text: 'again' })));
    expect(flood.filter((a) => !a.ok).map((a) => (a.ok ? '' : a.error.code))).toContain('RATE_LIMITED');
    expect(await people.ben!.call('sendMessage', { to: 'staff', text: 'mine gets through' })).toMatchObject({ ok: true });
  });
});

describe('reconnecting, removal, and what is kept', () => {
  it('a reader whose connection dropped gets the message when they resume within the grace', async () => {
    people.ben!.close();
    await sleep(300);
    const text = secret('while-away');
    await people.fran!.ok('sendMessage', { to: 'everyone', text });
    const back = await connect(server.url);
    clients.push(back);
    const arrived = back.next<ChatMessage>('message');
    const resumed = await back.ok<{ resumeToken: string }>('resume', { resumeToken: resumeTokens.ben });
    resumeTokens.ben = resumed.resumeToken;
    people.ben = back;
    expect(await arrived).toMatchObject({ text, from: 'fran', to: 'everyone' });
  });

  it('staff remove a message for everyone who received it; the audit log holds no text', async () => {
    const text = secret('unkind');
    await sleep(1100); // Carl flooded above; his budget refills at one a second
    const { messageId } = await people.carl!.ok<{ messageId: string }>('sendMessage', { to: 'everyone', text });
    await sleep(200);
    await people.fran!.ok('removeMessage', { messageId });
    await sleep(200);
    for (const id of ['ana', 'ben', 'cole', 'fran']) expect(people[id]!.events('messageRemoved'), id).toContainEqual({ messageId });
    expect(people.wes!.events('messageRemoved')).toEqual([]);
    const audit = await people.fran!.ok<{ entries: unknown[] }>('getAuditLog', {});
    expect(JSON.stringify(audit)).not.toContain(text);
    expect(audit.entries).toContainEqual(expect.objectContaining({ actor: 'fran', action: 'removeMessage' }));
  });

  it('no message text in Redis (raw or opened with the secret) or in /metrics; messages counted by audience only', async () => {
    await sleep(500); // a snapshot or two
    const stored = await storedStrings(redis.url);
    const opened = (await server.circle.kv.get('circle:room:group:state')) ?? '';
    expect(opened).toContain('fran'); // the state is there, as ids
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    for (const text of SECRET_TEXTS) {
      for (const [where, haystack] of [['redis', stored.join('\n')], ['room state', opened], ['metrics', metrics]] as const) {
        expect(haystack.includes(text) || haystack.includes('not safe tonight'), `${where} holds a message`).toBe(false);
      }
    }
    expect(metrics).toMatch(/circle_messages_total\{audience="staff"\} [1-9]/);
    expect(metrics).toMatch(/circle_messages_total\{audience="one"\} [1-9]/);
    expect(metrics).toMatch(/circle_messages_total\{audience="everyone"\} [1-9]/);
  });
});
