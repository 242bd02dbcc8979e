// The pre-session connection check against a real server and worker: started with no token and no room, its own
// router and transports on the node's media ports, the client's stream sent back to it, limited per address and per
// node, closed by the client, by its lifetime and by a dropped connection; a connection running one is not closed
// as one that never joined until the check ends.
import { expect, it } from 'vitest';
import { sample } from '../../harness/circle.js';
import { fakeDtls, opusParameters } from '../../harness/rtp.js';
import { connect, type TestClient } from '../../harness/signaling.js';
import type { CheckStarted, ConsumerInfo } from '../../src/protocol/events.js';
import { circleSuite } from '../helpers/fixtures.js';

const suite = circleSuite({ check: { maxConcurrent: 2, perAddressPerMinute: 5, lifetimeMs: 1500 }, signaling: { joinTimeoutMs: 700 } });
const checks = () => suite.server.circle.checks.list();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function refusal(on: TestClient, event: string, payload: unknown): Promise<string | undefined> {
  const answer = await on.call(event, payload);
  return answer.ok ? undefined : answer.error.code;
}

async function client(): Promise<TestClient> {
  return suite.track(await connect(suite.server.url));
}

it('a check needs no token, opens no room, echoes what it is sent, and ends with stopCheck; the node holds at most maxConcurrent', async () => {
  const ada = await client();
  const started = await ada.ok<CheckStarted>('startCheck', {});
  expect(started.checkId).toMatch(/^check-/);
  expect(started.send.iceCandidates.length).toBeGreaterThan(0);
  expect(started.dialInNumber).toBe('');
  expect([...suite.server.circle.registry.openRooms()]).toEqual([]);

  await ada.ok('checkConnect', { transportId: started.send.id, dtlsParameters: fakeDtls });
  const { producerId } = await ada.ok<{ producerId: string }>('checkProduce', { transportId: started.send.id, kind: 'audio', rtpParameters: opusParameters(4242), source: 'microphone' });
  const echo = await ada.ok<ConsumerInfo>('checkEcho', { producerId, rtpCapabilities: started.routerRtpCapabilities });
  expect(echo).toMatchObject({ producerId, kind: 'audio', participantId: started.checkId, producerPaused: false });
  expect(checks()[0]!.media.consumers.get(echo.consumerId)?.paused).toBe(false);
  // Nothing of a room's: a check's producer is nobody's to consume, and room requests still need a join.
  expect(await refusal(ada, 'consume', { producerId })).toBe('NOT_JOINED');

  const bob = await client();
  await bob.ok('startCheck', {});
  const carl = await client();
  expect(await refusal(carl, 'startCheck', {})).toBe('UNAVAILABLE');
  await ada.ok('stopCheck', {});
  expect(checks()).toHaveLength(1);
  expect(await refusal(ada, 'checkEcho', { producerId, rtpCapabilities: started.routerRtpCapabilities })).toBe('NOT_FOUND');
  await carl.ok('startCheck', {});
});

it('a check closes by itself after its lifetime, and with its connection; a connection checking is not closed as one that never joined until the check ends', async () => {
  await sleep(1600); // the first test's checks have run out
  expect(checks()).toEqual([]);
  const dee = await client();
  await dee.ok('startCheck', {});
  await sleep(1000); // past the join timeout (700 ms), within the check's lifetime (1500 ms)
  expect(dee.socket.connected).toBe(true);
  await sleep(1400);
  expect(checks()).toEqual([]);
  await sleep(800);
  expect(dee.socket.connected).toBe(false);

  const eve = await client();
  await eve.ok('startCheck', {});
  expect(checks()).toHaveLength(1);
  eve.close();
  await sleep(200);
  expect(checks()).toEqual([]);
});

it('checks from one address are limited per minute', async () => {
  await sleep(1600);
  const fay = await client();
  const outcomes: (string | undefined)[] = [];
  for (let i = 0; i < 3; i += 1) {
    const answer = await fay.call('startCheck', {});
    outcomes.push(answer.ok ? 'ok' : answer.error.code);
    await fay.call('stopCheck', {});
  }
  // Five per minute from 127.0.0.1 (a refusal for the node's limit spends none), and the two tests above started five.
  expect(outcomes).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);

  // What an SRE sees of it: the checks asked for by outcome, and those open now.
  const metrics = await (await fetch(`${suite.server.adminUrl}/metrics`)).text();
  const count = (outcome: string) => sample(metrics, 'circle_connection_checks_total', { outcome });
  expect([count('started'), count('refused-node'), count('refused-address')]).toEqual([5, 1, 3]);
  expect(sample(metrics, 'circle_connection_checks', {})).toBe(checks().length);
});

it("a waiting client's check result reaches the staff's lobby list, and a seated connection's check is not held to its address's limit", async () => {
  const lead = await suite.seat('lobby-check', 'Lee', 'facilitator');
  const wren = await suite.seat('lobby-check', 'Wren', 'client');
  expect(wren.result.self.admission).toBe('waiting');
  // The address's five checks a minute were spent above; a connection with a seat came with a token.
  await wren.client.ok('startCheck', {});
  await wren.client.ok('stopCheck', {});

  expect(await refusal(wren.client, 'reportReadiness', { verdict: 'great', path: null, roundTripMs: null, loss: null })).toBe('BAD_REQUEST');
  const shown = lead.client.next<{ waiting: { participantId: string; readiness: unknown }[] }>('lobbyUpdated');
  const readiness = { verdict: 'audio-only', path: 'relay-tls', roundTripMs: 180, loss: 0.12 };
  await wren.client.ok('reportReadiness', readiness);
  expect((await shown).waiting).toEqual([expect.objectContaining({ participantId: wren.participantId, readiness })]);
});
