import { expect, it } from 'vitest';
import { sample } from '../../harness/circle.js';
import { circleSuite } from '../helpers/fixtures.js';
import { fakeDtls, opusParameters, vp8Parameters } from '../../harness/rtp.js';
import { connect, devToken, type TestClient } from '../../harness/signaling.js';
import type { LinkView, PeerInfo, SelfView } from '../../src/protocol/events.js';

const suite = circleSuite({ sessions: { resumeGraceMs: 5000 } });

/** Joins as a co-facilitator (no lobby) with a known token, sends a microphone and a camera, and receives. */
async function member(room: string, participantId: string, role = 'cofacilitator') {
  const { token } = await devToken(suite.server.url, { room, name: participantId, participantId, role });
  const client = suite.track(await connect(suite.server.url));
  const joined = await client.ok<{ resumeToken: string; admitted: { routerRtpCapabilities: unknown } }>('join', { token });
  await client.ok('setRtpCapabilities', { rtpCapabilities: joined.admitted.routerRtpCapabilities });
  const send = await client.ok<{ id: string }>('createTransport', { direction: 'send' });
  await client.ok('connectTransport', { transportId: send.id, dtlsParameters: fakeDtls });
  const producers: Record<string, string> = {};
  for (const [kind, source, parameters] of [
    ['audio', 'microphone', opusParameters(Math.floor(Math.random() * 1e9))],
    ['video', 'camera', vp8Parameters(Math.floor(Math.random() * 1e9))],
  ] as const) {
    const { producerId } = await client.ok<{ producerId: string }>('produce', { transportId: send.id, kind, rtpParameters: parameters, source });
    producers[kind] = producerId;
  }
  const recv = await client.ok<{ id: string }>('createTransport', { direction: 'recv' });
  await client.ok('connectTransport', { transportId: recv.id, dtlsParameters: fakeDtls });
  return { client, token, resumeToken: joined.resumeToken, producers };
}

async function consumeAll(client: TestClient, producerIds: string[]) {
  for (const producerId of producerIds) {
    const { consumerId } = await client.ok<{ consumerId: string }>('consume', { producerId });
    await client.ok('resumeConsumer', { consumerId });
  }
}

const metric = async (name: string, labels: Record<string, string> = {}) =>
  sample(await (await fetch(`${suite.server.adminUrl}/metrics`)).text(), name, labels);

it('a participant who chooses audio-only receives and sends no video at the SFU; the voice is untouched; choosing video brings it back', async () => {
  const lead = await member('manual-1', 'lead-1', 'facilitator');
  const ada = await member('manual-1', 'ada-1');
  await consumeAll(ada.client, Object.values(lead.producers));
  await consumeAll(lead.client, Object.values(ada.producers));
  const room = suite.server.circle.registry.get('manual-1')!;
  const adaSeat = room.participants.get('ada-1')!;
  const consumers = (kind: string) => [...adaSeat.media.consumers.values()].filter((c) => c.kind === kind);
  const producer = (kind: 'audio' | 'video') => adaSeat.media.producers.get(ada.producers[kind]!)!;
  const entered = (await metric('circle_audio_only_transitions_total', { direction: 'to-audio-only', reason: 'manual' }))!;

  const selfUpdated = ada.client.next<SelfView>('selfUpdated');
  const staffSees = lead.client.next<PeerInfo>('peerUpdated');
  const cameraPaused = lead.client.next<{ producerId: string }>('producerPaused');
  await ada.client.ok('setAudioOnly', { enabled: true });
  expect((await selfUpdated).link).toEqual<LinkView>({ quality: 'audio-only', audioOnly: 'manual', sendVideo: false, receiveVideo: false, path: null });
  expect(await staffSees).toMatchObject({ participantId: 'ada-1', quality: 'audio-only' });
  expect((await cameraPaused).producerId).toBe(ada.producers.video);
  expect(consumers('video').every((c) => c.paused)).toBe(true);
  expect(consumers('audio').every((c) => !c.paused)).toBe(true);
  expect(producer('video').paused).toBe(true);
  expect(producer('audio').paused).toBe(false);
  expect(await metric('circle_audio_only_participants')).toBe(1);
  expect(await metric('circle_connection_quality', { quality: 'audio-only' })).toBe(1);
  expect(await metric('circle_audio_only_transitions_total', { direction: 'to-audio-only', reason: 'manual' })).toBe(entered + 1);

  // A camera turned on meanwhile still sends nothing, and a consumer resumed by the client stays paused.
  await ada.client.ok('resumeProducer', { producerId: ada.producers.video });
  expect(producer('video').paused).toBe(true);
  await ada.client.ok('resumeConsumer', { consumerId: consumers('video')[0]!.id });
  expect(consumers('video')[0]!.paused).toBe(true);

  await ada.client.ok('setAudioOnly', { enabled: false });
  expect(consumers('video').every((c) => !c.paused)).toBe(true);
  expect(producer('video').paused).toBe(false);
  expect(await metric('circle_audio_only_participants')).toBe(0);
  expect(await metric('circle_audio_only_transitions_total', { direction: 'to-video', reason: 'manual' })).toBeGreaterThanOrEqual(1);
});

it('the choice survives a dropped connection: the resumed seat is still audio-only', async () => {
  await member('manual-2', 'lead-2', 'facilitator');
  const ben = await member('manual-2', 'ben-2');
  await ben.client.ok('setAudioOnly', { enabled: true });
  ben.client.socket.io.engine.close(); // a dropped connection, not a leave
  await new Promise((resolve) => setTimeout(resolve, 300));
  const back = suite.track(await connect(suite.server.url));
  const resumed = await back.ok<{ self: SelfView }>('resume', { resumeToken: ben.resumeToken });
  expect(resumed.self.link).toMatchObject({ audioOnly: 'manual', sendVideo: false, receiveVideo: false });
  expect(suite.server.circle.registry.get('manual-2')!.participants.get('ben-2')!.link.manual).toBe(true);
});

it('a facilitator can only suggest audio-only: the client is asked, nothing changes until it chooses', async () => {
  const lead = await member('suggest-1', 'lead-3', 'facilitator');
  const { token } = await devToken(suite.server.url, { room: 'suggest-1', name: 'cam', participantId: 'cam-3' });
  const cam = suite.track(await connect(suite.server.url));
  await cam.ok('join', { token });
  await lead.client.ok('admit', { participantId: 'cam-3' });
  const asked = cam.next('audioOnlySuggested');
  await lead.client.ok('suggestAudioOnly', { participantId: 'cam-3' });
  expect(await asked).toEqual({});
  const seat = suite.server.circle.registry.get('suggest-1')!.participants.get('cam-3')!;
  expect(seat.link.audioOnly).toBeNull();
  expect(suite.server.circle.registry.record('suggest-1')!.audit.at(-1)).toMatchObject({ action: 'suggestAudioOnly', target: 'cam-3' });
  expect(await cam.call('suggestAudioOnly', { participantId: 'lead-3' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
});

it('stats reports are validated and only change the reporter; a waiting client can neither report nor switch', async () => {
  const lead = await member('report-1', 'lead-4', 'facilitator');
  expect(await lead.client.call('reportStats', { uplinkBitrateBps: -5 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  expect(await lead.client.call('reportStats', { uplinkBitrateBps: 1e6, participantId: 'x' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  expect(await lead.client.call('setAudioOnly', { enabled: 'yes' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  expect(await lead.client.call('reportStats', { uplinkBitrateBps: 1_500_000, roundTripTimeMs: 40 })).toMatchObject({ ok: true });
  const seat = suite.server.circle.registry.get('report-1')!.participants.get('lead-4')!;
  expect(seat.link.reported(Date.now()).uplinkBitrateBps).toBe(1_500_000);

  const { token } = await devToken(suite.server.url, { room: 'report-1', name: 'wait', participantId: 'wait-4' });
  const waiting = suite.track(await connect(suite.server.url));
  await waiting.ok('join', { token });
  for (const [request, payload] of [['reportStats', {}], ['setAudioOnly', { enabled: true }]] as const) {
    expect(await waiting.call(request, payload)).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
  }
});
