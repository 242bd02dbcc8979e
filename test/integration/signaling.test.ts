import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startCircle, sample, type RunningCircle } from '../../harness/circle.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import { fakeDtls, opusParameters, vp8Parameters } from '../../harness/rtp.js';

let server: RunningCircle;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startCircle();
});
afterAll(async () => server.stop());
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

// Co-facilitators join directly; the waiting room and client rules have their own tests (moderation.test.ts).
async function joined(room: string, name: string, role = 'cofacilitator') {
  const client = await connect(server.url);
  clients.push(client);
  const { token, participantId } = await devToken(server.url, { room, name, role });
  const { admitted: join } = await client.ok<{
    admitted: { routerRtpCapabilities: unknown; peers: { participantId: string }[] };
  }>('join', { token });
  await client.ok('setRtpCapabilities', { rtpCapabilities: join.routerRtpCapabilities });
  return { client, participantId, join };
}

async function producing(room: string, name: string) {
  const seat = await joined(room, name);
  const transport = await seat.client.ok<{ id: string }>('createTransport', { direction: 'send' });
  await seat.client.ok('connectTransport', { transportId: transport.id, dtlsParameters: fakeDtls });
  const { producerId } = await seat.client.ok<{ producerId: string }>('produce', {
    transportId: transport.id,
    kind: 'audio',
    rtpParameters: opusParameters(1000 + clients.length),
    source: 'microphone',
  });
  return { ...seat, transportId: transport.id, producerId };
}

async function metricsText(): Promise<string> {
  return (await fetch(`${server.adminUrl}/metrics`)).text();
}

describe('join, produce, consume, leave', () => {
  it('lets two participants of one room see each other and exchange media', async () => {
    const alice = await producing('room-a', 'Alice');
    const peerJoined = alice.client.next<{ participantId: string }>('peerJoined');
    const bob = await joined('room-a', 'Bob');
    expect((await peerJoined).participantId).toBe(bob.participantId);
    expect(bob.join.peers.map((p) => p.participantId)).toEqual([alice.participantId]);

    const recv = await bob.client.ok<{ id: string }>('createTransport', { direction: 'recv' });
    await bob.client.ok('connectTransport', { transportId: recv.id, dtlsParameters: fakeDtls });
    const consumer = await bob.client.ok<{ consumerId: string; participantId: string; kind: string }>('consume', {
      producerId: alice.producerId,
    });
    expect(consumer).toMatchObject({ participantId: alice.participantId, kind: 'audio' });
    await bob.client.ok('resumeConsumer', { consumerId: consumer.consumerId });

    const text = await metricsText();
    expect(sample(text, 'circle_rooms')).toBe(1);
    expect(sample(text, 'circle_participants', { role: 'cofacilitator' })).toBe(2);
    expect(sample(text, 'circle_producers', { kind: 'audio' })).toBe(1);
    expect(sample(text, 'circle_consumers', { kind: 'audio' })).toBe(1);
    expect(sample(text, 'circle_signaling_requests_total', { event: 'consume', result: 'ok' })).toBe(1);
    expect(sample(text, 'circle_signaling_request_duration_seconds_count', { event: 'join' })).toBeGreaterThanOrEqual(2);

    // Alice closes her microphone: Bob's consumer goes with it, and he is told.
    const consumersClosed = bob.client.next<{ consumerIds: string[] }>('consumersClosed');
    const producerRemoved = bob.client.next<{ producerId: string }>('producerRemoved');
    await alice.client.ok('closeProducer', { producerId: alice.producerId });
    expect((await consumersClosed).consumerIds).toEqual([consumer.consumerId]);
    expect((await producerRemoved).producerId).toBe(alice.producerId);

    const peerLeft = alice.client.next<{ participantId: string }>('peerLeft');
    await bob.client.ok('leave', {});
    expect((await peerLeft).participantId).toBe(bob.participantId);
    expect(sample(await metricsText(), 'circle_participants', { role: 'cofacilitator' })).toBe(1);
  });

  it('announces new producers and pauses to the others in the room', async () => {
    const carol = await joined('room-b', 'Carol');
    const added = carol.client.next<{ participantId: string; producer: { producerId: string; kind: string } }>(
      'producerAdded',
    );
    const dan = await producing('room-b', 'Dan');
    expect(await added).toMatchObject({ participantId: dan.participantId, producer: { producerId: dan.producerId } });

    const paused = carol.client.next<{ producerId: string }>('producerPaused');
    await dan.client.ok('pauseProducer', { producerId: dan.producerId });
    expect((await paused).producerId).toBe(dan.producerId);

    const video = await dan.client.ok<{ producerId: string }>('produce', {
      transportId: dan.transportId,
      kind: 'video',
      rtpParameters: vp8Parameters(5555),
      source: 'camera',
    });
    expect(video.producerId).toBeTruthy();
  });

  it('closes a room once it has stayed empty', async () => {
    const erin = await joined('room-c', 'Erin');
    const room = server.circle.registry.get('room-c');
    await erin.client.ok('leave', {});
    expect(server.circle.registry.get('room-c')).toBe(room);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.circle.registry.get('room-c')).toBeUndefined();
    expect(room?.router.closed).toBe(true);
  });
});

describe('ICE restart', () => {
  it("gives new ICE credentials for one's own transport, and nobody else's", async () => {
    const owner = await producing('room-ice', 'Uma');
    const first = await owner.client.ok<{ iceParameters: { usernameFragment: string } }>('restartIce', {
      transportId: owner.transportId,
    });
    const second = await owner.client.ok<{ iceParameters: { usernameFragment: string } }>('restartIce', {
      transportId: owner.transportId,
    });
    expect(first.iceParameters.usernameFragment).not.toBe(second.iceParameters.usernameFragment);
    const other = await joined('room-ice', 'Val');
    expect(await other.client.call('restartIce', { transportId: owner.transportId })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });
});

describe('refusals: a clear code, nothing changed, others still served', () => {
  it('refuses bad tokens with UNAUTHORIZED', async () => {
    const client = await connect(server.url);
    clients.push(client);
    const sign = (secret: string, claims: Record<string, string>, subject: string, expires: string | number, issuer = 'circle') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(subject)
        .setAudience('circle')
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(expires)
        .sign(new TextEncoder().encode(secret));
    const secret = server.circle.config.auth.tokenSecret;
    const forged = await sign('x'.repeat(40), { room: 'r', name: 'Mallory', role: 'facilitator' }, 'mallory', '1h');
    const expired = await sign(secret, { room: 'r', name: 'Old', role: 'client' }, 'old', Math.floor(Date.now() / 1000) - 60);
    const badClaims = await sign(secret, { room: 'r', name: 'Nobody', role: 'superuser' }, 'nobody', '1h');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    const otherIssuer = await sign(secret, { room: 'r', name: 'Eve', role: 'facilitator' }, 'eve', '1h', 'someone-else');
    const tooLong = await sign(secret, { room: 'r', name: 'Lon', role: 'client' }, 'lon', '8d');

    for (const [token, message] of [
      ['not-a-jwt', 'token invalid'],
      [forged, 'token invalid'],
      [expired, 'token expired'],
      [badClaims, 'token claims invalid: role'],
      [unsigned, 'token invalid'],
      [otherIssuer, 'token invalid'],
      [tooLong, 'token lifetime exceeds 86400 s'],
    ] as const) {
      const response = await client.call('join', { token });
      expect(response).toEqual({ ok: false, error: { code: 'UNAUTHORIZED', message } });
    }
    expect(sample(await metricsText(), 'circle_participants', { role: 'facilitator' })).toBe(0);
  });

  it('refuses malformed payloads with BAD_REQUEST and changes nothing', async () => {
    const { client } = await joined('room-d', 'Frank');
    const transport = await client.ok<{ id: string }>('createTransport', { direction: 'send' });
    const producersBefore = sample(await metricsText(), 'circle_producers', { kind: 'audio' });

    const cases: [string, unknown][] = [
      ['createTransport', { direction: 'sideways' }],
      ['createTransport', 'send'],
      ['createTransport', null],
      ['produce', { transportId: transport.id, kind: 'audio', source: 'microphone' }],
      ['produce', { transportId: transport.id, kind: 'audio', rtpParameters: { codecs: [] }, source: 'microphone' }],
      ['produce', { transportId: transport.id, kind: 'audio', rtpParameters: opusParameters(1), source: 'camera' }],
      ['produce', { transportId: transport.id, kind: 'audio', rtpParameters: opusParameters(2), source: 'microphone', extra: 1 }],
      [
        'produce',
        {
          transportId: transport.id,
          kind: 'audio',
          rtpParameters: { ...opusParameters(3), codecs: [{ mimeType: 'audio/x-bogus', payloadType: 100, clockRate: 8000 }] },
          source: 'microphone',
        },
      ],
      ['connectTransport', { transportId: transport.id, dtlsParameters: { fingerprints: [] } }],
      ['createTransport', { direction: 'send' }],
    ];
    for (const [event, payload] of cases) {
      const response = await client.call(event, payload);
      expect(response.ok, `${event} ${JSON.stringify(payload)}`).toBe(false);
      if (!response.ok) {
        expect(response.error.code).toBe('BAD_REQUEST');
        expect(response.error.message.length).toBeGreaterThan(3);
      }
    }
    expect(sample(await metricsText(), 'circle_producers', { kind: 'audio' })).toBe(producersBefore);
  });

  it('refuses requests before joining with NOT_JOINED and a second join with ALREADY_JOINED', async () => {
    const client = await connect(server.url);
    clients.push(client);
    expect(await client.call('createTransport', { direction: 'send' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_JOINED' },
    });
    const { token } = await devToken(server.url, { room: 'room-e', name: 'Gina' });
    await client.ok('join', { token });
    expect(await client.call('join', { token })).toMatchObject({ ok: false, error: { code: 'ALREADY_JOINED' } });
  });

  it('answers unknown events with UNKNOWN_EVENT, by ack or by protocolError', async () => {
    const client = await connect(server.url);
    clients.push(client);
    expect(await client.call('deleteEverything', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    const protocolError = client.next<{ event: string; code: string }>('protocolError');
    client.socket.emit('shout', { loud: true });
    expect(await protocolError).toMatchObject({ event: 'unknown', code: 'UNKNOWN_EVENT' });
    const noAck = client.next<{ code: string }>('protocolError');
    client.socket.emit('leave', {});
    expect((await noAck).code).toBe('BAD_REQUEST');
    expect(sample(await metricsText(), 'circle_signaling_requests_total', { event: 'unknown', result: 'UNKNOWN_EVENT' })).toBeGreaterThanOrEqual(2);
  });

  it('refuses oversized payloads with PAYLOAD_TOO_LARGE and floods with RATE_LIMITED', async () => {
    const client = await connect(server.url);
    clients.push(client);
    const huge = { token: 'x'.repeat(40_000) };
    expect(await client.call('join', huge)).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });

    const flood = await Promise.all(Array.from({ length: 100 }, () => client.call('leave', {})));
    const codes = flood.map((r) => (r.ok ? 'ok' : r.error.code));
    expect(codes).toContain('RATE_LIMITED');
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThan(20);
  });

  it('drops a connection whose frame exceeds the transport limit, and keeps serving others', async () => {
    const client = await connect(server.url);
    clients.push(client);
    const disconnected = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
    client.socket.emit('join', { token: 'y'.repeat(200_000) }, () => undefined);
    expect(await disconnected).toBeTruthy();
    const other = await joined('room-f', 'Hana');
    expect(other.participantId).toBeTruthy();
  });

  it("refuses to consume a producer of another room with NOT_FOUND", async () => {
    const owner = await producing('room-g', 'Ivan');
    const intruder = await joined('room-h', 'Judy');
    const recv = await intruder.client.ok<{ id: string }>('createTransport', { direction: 'recv' });
    expect(recv.id).toBeTruthy();
    const consumersBefore = sample(await metricsText(), 'circle_consumers', { kind: 'audio' });
    expect(await intruder.client.call('consume', { producerId: owner.producerId })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'no such producer in this room' },
    });
    expect(await intruder.client.call('pauseProducer', { producerId: owner.producerId })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(sample(await metricsText(), 'circle_consumers', { kind: 'audio' })).toBe(consumersBefore);

    // The owner's room is untouched and still serves: a new participant there can consume.
    const friend = await joined('room-g', 'Kim');
    await friend.client.ok('createTransport', { direction: 'recv' });
    const consumer = await friend.client.ok<{ participantId: string }>('consume', { producerId: owner.producerId });
    expect(consumer.participantId).toBe(owner.participantId);
  });

  it('replaces an older session of the same participant instead of showing a duplicate', async () => {
    const first = await connect(server.url);
    const second = await connect(server.url);
    clients.push(first, second);
    const { token, participantId } = await devToken(server.url, { room: 'room-i', name: 'Lee' });
    await first.ok('join', { token });
    const ended = first.next<{ reason: string }>('sessionEnded');
    const join = await second.ok<{ participantId: string }>('join', { token });
    expect(join.participantId).toBe(participantId);
    expect((await ended).reason).toBe('replaced-by-new-session');
    expect(server.circle.registry.get('room-i')?.participants.size).toBe(1);
  });
});
