// The staff's decisions about a participant last the session whatever the participant does: leave and join again
// with the same token, a new token for the same participant id, a resume. Real worker, real sockets.
import { describe, expect, it } from 'vitest';
import { connect, devToken, produceAudio, type TestClient } from '../../harness/signaling.js';
import type { JoinResult, LobbyEntry } from '../../src/protocol/events.js';
import { circleSuite } from '../helpers/fixtures.js';

const suite = circleSuite({ rooms: { requireAdmission: true } });

/** Joins with `token` on a fresh connection closed after the test. */
async function joinWith(token: string): Promise<{ client: TestClient; joined: JoinResult }> {
  const client = suite.track(await connect(suite.server.url));
  return { client, joined: await client.ok<JoinResult>('join', { token }) };
}

async function tokenFor(room: string, participantId: string, role: string) {
  return (await devToken(suite.server.url, { room, name: participantId, participantId, role })).token;
}

const producerOf = (room: string, participantId: string, producerId: string) =>
  suite.server.circle.registry.get(room)!.participants.get(participantId)!.media.producer(producerId);

describe('decisions that stand', () => {
  it('hard mute → leave → join again with the same token → shown muted in the lobby → admitted → still muted at the SFU until asked', async () => {
    const room = 'stand-mute';
    const lead = await joinWith(await tokenFor(room, 'lead', 'facilitator'));
    const anaToken = await tokenFor(room, 'ana', 'client');
    const first = await joinWith(anaToken);
    await lead.client.ok('admit', { participantId: 'ana' });
    await produceAudio(first.client);
    await lead.client.ok('mute', { participantId: 'ana' });
    await first.client.ok('leave', {});
    first.client.close();

    const lobby = lead.client.next<{ waiting: LobbyEntry[] }>('lobbyUpdated');
    const again = await joinWith(anaToken);
    expect(again.joined.self).toMatchObject({ admission: 'waiting', locks: { audio: true, video: false } });
    expect((await lobby).waiting).toEqual([expect.objectContaining({ participantId: 'ana', locks: { audio: true, video: false } })]);

    const peerJoined = lead.client.next<{ participantId: string; locks: { audio: boolean } }>('peerJoined');
    await lead.client.ok('admit', { participantId: 'ana' });
    expect(await peerJoined).toMatchObject({ participantId: 'ana', locks: { audio: true } });
    const producerId = await produceAudio(again.client);
    expect(producerOf(room, 'ana', producerId).paused).toBe(true); // paused at the SFU from the start
    expect(await again.client.call('resumeProducer', { producerId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    await lead.client.ok('askToUnmute', { participantId: 'ana' });
    expect(producerOf(room, 'ana', producerId).paused).toBe(true); // no one else turns a microphone on
    await again.client.ok('resumeProducer', { producerId });
    expect(producerOf(room, 'ana', producerId).paused).toBe(false);
  });

  it('a new token for the same participant id does not lift a lock either', async () => {
    const room = 'stand-new-token';
    const lead = await joinWith(await tokenFor(room, 'lead', 'facilitator'));
    const first = await joinWith(await tokenFor(room, 'ben', 'client'));
    await lead.client.ok('admit', { participantId: 'ben' });
    await lead.client.ok('stopVideo', { participantId: 'ben' });
    first.client.close(); // gone without a goodbye: the seat is held, then taken by the new connection
    const again = await joinWith(await tokenFor(room, 'ben', 'client'));
    expect(again.joined.self.locks).toEqual({ audio: false, video: true });
  });

  it('demote → leave → join again with the old co-facilitator token → a client, in the lobby, unable to admit', async () => {
    const room = 'stand-demote';
    const lead = await joinWith(await tokenFor(room, 'lead', 'facilitator'));
    const coToken = await tokenFor(room, 'cy', 'cofacilitator');
    const first = await joinWith(coToken);
    expect(first.joined.self.role).toBe('cofacilitator');
    await lead.client.ok('demote', { participantId: 'cy' });
    await first.client.ok('leave', {});

    const again = await joinWith(coToken);
    expect(again.joined.self).toMatchObject({ role: 'client', admission: 'waiting' });
    const other = await joinWith(await tokenFor(room, 'dee', 'client'));
    expect(other.joined.self.admission).toBe('waiting');
    expect(await again.client.call('admit', { participantId: 'dee' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('hand over → leave → join again with the facilitator token → co-facilitator; the new lead stays the lead', async () => {
    const room = 'stand-handover';
    const leadToken = await tokenFor(room, 'lead', 'facilitator');
    const lead = await joinWith(leadToken);
    const co = await joinWith(await tokenFor(room, 'cy', 'cofacilitator'));
    await lead.client.ok('handOver', { participantId: 'cy' });
    await lead.client.ok('leave', {});
    const again = await joinWith(leadToken);
    expect(again.joined.self).toMatchObject({ role: 'cofacilitator', admission: 'admitted' });
    expect(await co.client.call('demote', { participantId: 'lead' })).toEqual({ ok: true, data: {} });
  });

  it('two joins racing on one connection leave one seat, not an orphan', async () => {
    const room = 'stand-race';
    await joinWith(await tokenFor(room, 'lead', 'facilitator'));
    const client = suite.track(await connect(suite.server.url));
    const tokens = [await tokenFor(room, 'eli', 'client'), await tokenFor(room, 'fay', 'client')];
    const answers = await Promise.all(tokens.map((token) => client.call('join', { token })));
    expect(answers.map((answer) => answer.ok).sort()).toEqual([false, true]);
    expect(answers.find((answer) => !answer.ok)).toMatchObject({ error: { code: 'ALREADY_JOINED' } });
    expect(suite.server.circle.registry.get(room)!.participants.size).toBe(2);
  });
});
