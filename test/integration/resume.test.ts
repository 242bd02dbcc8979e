import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { sample } from '../../harness/circle.js';
import { circleSuite } from '../helpers/fixtures.js';
import { connect, devToken, produceAudio, type TestClient } from '../../harness/signaling.js';

const GRACE_MS = 3000;
const suite = circleSuite({ sessions: { resumeGraceMs: GRACE_MS } });

interface Peer {
  participantId: string;
  connection: string;
}
interface Floor {
  holder: string | null;
  queue: string[];
}

/** A client with a known token, admitted into the room by the facilitator. */
async function member(room: string, participantId: string, facilitator: TestClient) {
  const { token } = await devToken(suite.server.url, { room, name: participantId, participantId });
  const client = suite.track(await connect(suite.server.url));
  await client.ok('join', { token });
  await facilitator.ok('admit', { participantId });
  return { client, token };
}

async function rejoin(token: string) {
  const client = suite.track(await connect(suite.server.url));
  const result = await client.ok<{ self: { admission: string; role: string; locks: { audio: boolean } } }>('join', { token });
  return { client, result };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a dropped connection keeps its seat for the grace period', () => {
  it('others see "reconnecting", never a leave; the same token takes back role, admission, locks, hand and floor', async () => {
    const facilitator = (await suite.seat('resume-1', 'Fenn', 'facilitator')).client;
    const ana = await member('resume-1', 'ana-1', facilitator);
    const ben = await member('resume-1', 'ben-1', facilitator);
    await facilitator.ok('promote', { participantId: 'ana-1' });
    await facilitator.ok('mute', { participantId: 'ben-1' });
    await ben.client.ok('raiseHand', {});
    await facilitator.ok('grantFloor', { participantId: 'ana-1' });
    await ana.client.ok('setRtpCapabilities', {
      rtpCapabilities: suite.server.circle.registry.get('resume-1')!.router.rtpCapabilities,
    });
    const producerId = await produceAudio(ana.client);

    const updates = facilitator.events('peerUpdated').length;
    ana.client.socket.io.engine.close(); // the network drops: no goodbye
    ben.client.close();
    await pause(300);
    const seen = facilitator.events('peerUpdated').slice(updates) as Peer[];
    expect(seen).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ participantId: 'ana-1', connection: 'reconnecting' }),
        expect.objectContaining({ participantId: 'ben-1', connection: 'reconnecting' }),
      ]),
    );
    expect(facilitator.events('producerRemoved')).toContainEqual({ participantId: 'ana-1', producerId });

    const anaBack = await rejoin(ana.token);
    const benBack = await rejoin(ben.token);
    expect(anaBack.result.self).toMatchObject({ admission: 'admitted', role: 'cofacilitator' });
    expect(benBack.result.self).toMatchObject({ admission: 'admitted', role: 'client', locks: { audio: true } });
    const floor = (anaBack.result as unknown as { admitted: { floor: Floor } }).admitted.floor;
    expect(floor).toMatchObject({ holder: 'ana-1', queue: ['ben-1'] });

    await pause(GRACE_MS + 300);
    expect(facilitator.events('peerLeft')).toEqual([]);
    expect(facilitator.events('peerJoined').filter((p) => ['ana-1', 'ben-1'].includes((p as Peer).participantId))).toHaveLength(2);
    const last = (id: string) => (facilitator.events('peerUpdated') as Peer[]).filter((p) => p.participantId === id).at(-1);
    expect(last('ana-1')?.connection).toBe('connected');
    expect(last('ben-1')?.connection).toBe('connected');
    const room = suite.server.circle.registry.get('resume-1')!;
    expect(room.floor.view()).toMatchObject({ holder: 'ana-1', queue: ['ben-1'] });
    expect(room.participants.size).toBe(3);
    const metrics = await (await fetch(`${suite.server.adminUrl}/metrics`)).text();
    expect(sample(metrics, 'circle_reconnects_total', { outcome: 'resumed' })).toBe(2);
  });

  it('evicts a stale duplicate still half-open when the resumed connection arrives', async () => {
    const facilitator = (await suite.seat('resume-2', 'Fae', 'facilitator')).client;
    const cai = await member('resume-2', 'cai-1', facilitator);
    const ended = cai.client.next<{ reason: string }>('sessionEnded');
    const back = await rejoin(cai.token);
    expect(back.result.self.admission).toBe('admitted');
    expect(await ended).toEqual({ reason: 'replaced-by-new-session' });
    expect(facilitator.events('peerLeft')).toEqual([]);
    expect(suite.server.circle.registry.get('resume-2')!.participants.size).toBe(2);
  });

  it('after the grace period the seat is released cleanly and the client comes back through the lobby', async () => {
    const facilitator = (await suite.seat('resume-3', 'Fox', 'facilitator')).client;
    const dee = await member('resume-3', 'dee-1', facilitator);
    await dee.client.ok('raiseHand', {});
    const left = facilitator.next<{ participantId: string }>('peerLeft', GRACE_MS + 2000);
    dee.client.close();
    expect(await left).toEqual({ participantId: 'dee-1' });
    const room = suite.server.circle.registry.get('resume-3')!;
    expect(room.floor.view().queue).toEqual([]);
    expect(room.participants.has('dee-1')).toBe(false);

    const back = await rejoin(dee.token);
    expect(back.result.self.admission).toBe('waiting');
    const metrics = await (await fetch(`${suite.server.adminUrl}/metrics`)).text();
    expect(sample(metrics, 'circle_reconnects_total', { outcome: 'expired' })).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'circle_reconnects_total', { outcome: 'replaced' })).toBeGreaterThanOrEqual(1);
  });

  it('an explicit leave is a leave at once', async () => {
    const facilitator = (await suite.seat('resume-4', 'Fay', 'facilitator')).client;
    const eve = await member('resume-4', 'eve-1', facilitator);
    const left = facilitator.next<{ participantId: string }>('peerLeft', 500);
    await eve.client.ok('leave', {});
    expect(await left).toEqual({ participantId: 'eve-1' });
  });
});

describe('resume tokens', () => {
  it('take the seat back after the join token has expired; the join token cannot', async () => {
    const facilitator = (await suite.seat('resume-5', 'Fia', 'facilitator')).client;
    // A clinic's short-lived join token: it expires between 1 and 2 s from now (whole seconds: one more than the next
    // second's boundary, which may be a millisecond away), well inside the 3 s grace.
    const shortLived = await new SignJWT({ room: 'resume-5', name: 'Ivy', role: 'client' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ivy-1')
      .setAudience('circle')
      .setIssuer('circle')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(suite.server.circle.config.auth.tokenSecret));
    const first = suite.track(await connect(suite.server.url));
    const { resumeToken } = await first.ok<{ resumeToken: string }>('join', { token: shortLived });
    await facilitator.ok('admit', { participantId: 'ivy-1' });
    expect(resumeToken.length).toBeGreaterThanOrEqual(40);

    first.socket.io.engine.close();
    await pause(2100);
    const back = suite.track(await connect(suite.server.url));
    expect(await back.call('join', { token: shortLived })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHORIZED', message: 'token expired' },
    });
    const resumed = await back.ok<{ participantId: string; self: { admission: string } }>('resume', { resumeToken });
    expect(resumed).toMatchObject({ participantId: 'ivy-1', self: { admission: 'admitted' } });
    expect(facilitator.events('peerLeft')).toEqual([]);
  });

  it('resumes by token within the grace period, rotates the token, and refuses an old or unknown one', async () => {
    const facilitator = (await suite.seat('resume-6', 'Flip', 'facilitator')).client;
    const { token } = await devToken(suite.server.url, { room: 'resume-6', name: 'Jay', participantId: 'jay-1' });
    const first = suite.track(await connect(suite.server.url));
    const joined = await first.ok<{ resumeToken: string }>('join', { token });
    await facilitator.ok('admit', { participantId: 'jay-1' });
    first.socket.io.engine.close();
    await pause(200);

    const second = suite.track(await connect(suite.server.url));
    const resumed = await second.ok<{ resumeToken: string; participantId: string; self: { admission: string } }>('resume', {
      resumeToken: joined.resumeToken,
    });
    expect(resumed).toMatchObject({ participantId: 'jay-1', self: { admission: 'admitted' } });
    expect(resumed.resumeToken).not.toBe(joined.resumeToken);

    const third = suite.track(await connect(suite.server.url));
    expect(await third.call('resume', { resumeToken: joined.resumeToken })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await third.call('resume', { resumeToken: 'x'.repeat(43) })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(facilitator.events('peerLeft')).toEqual([]);
  });

  it('refuses a resume once the grace period has released the seat', async () => {
    const facilitator = (await suite.seat('resume-7', 'Flor', 'facilitator')).client;
    const { token } = await devToken(suite.server.url, { room: 'resume-7', name: 'Kit', participantId: 'kit-1' });
    const first = suite.track(await connect(suite.server.url));
    const { resumeToken } = await first.ok<{ resumeToken: string }>('join', { token });
    await facilitator.ok('admit', { participantId: 'kit-1' });
    first.close();
    await pause(GRACE_MS + 300);
    const back = suite.track(await connect(suite.server.url));
    expect(await back.call('resume', { resumeToken })).toEqual({
      ok: false,
      error: { code: 'UNAUTHORIZED', message: 'resume token expired; join again' },
    });
  });
});
