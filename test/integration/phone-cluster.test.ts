// Dial-in with two nodes and one Redis: a call that reaches the node not running its room is forwarded to the node
// that does. Real Circles (real workers, real SIP sockets), a real redis-server, and Debian's sipp as the phones.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sample, startCircle, type RunningCircle } from '../../harness/circle.js';
import { SipCaller, type CallStep } from '../../harness/sip-caller.js';
import { joinRoom, type Seated } from '../../harness/signaling.js';
import { RedisServer } from '../../harness/redis-server.js';
import { until } from '../helpers/until.js';

let redis: RedisServer;
let nodeA: RunningCircle;
let nodeB: RunningCircle;
const seated: Seated[] = [];
const callers: SipCaller[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  const node = () => startCircle({ store: { redisUrl: redis.url, snapshotIntervalMs: 100 }, sessions: { resumeGraceMs: 10_000 }, phone: { rtpTimeoutMs: 2000 } });
  nodeA = await node();
  nodeB = await node();
});
afterAll(async () => {
  for (const caller of callers) caller.close();
  for (const { client } of seated) client.close();
  await nodeA?.stop();
  await nodeB?.stop();
  await redis?.stop();
});

async function seat(room: string, name: string, role: string): Promise<Seated & { pin: string }> {
  const member = await joinRoom(nodeA.url, room, name, role);
  seated.push(member);
  return { ...member, pin: (member.result as { dialIn?: { pin: string } }).dialIn!.pin };
}

async function call(node: RunningCircle, steps: CallStep[]): Promise<SipCaller> {
  const caller = await SipCaller.call(node.sipPort!, steps);
  callers.push(caller);
  caller.speak(0);
  return caller;
}

const onPhone = (participantId: string) => {
  const participant = nodeA.circle.registry.get('phone-cluster')?.participant(participantId);
  return participant?.channel.isCall && participant.connection === 'connected' && (participant.media.producers.size ?? 0) > 0 && participant;
};

it('a call to the node that does not run the room is forwarded to the one that does: the seat there, audio both ways, keys, and the session’s end', async () => {
  const fran = await seat('phone-cluster', 'Fran', 'facilitator');
  const ana = await seat('phone-cluster', 'Ana', 'client');
  const ben = await seat('phone-cluster', 'Ben', 'client');
  for (const client of [ana, ben]) await fran.client.ok('admit', { participantId: client.participantId });
  expect(nodeA.circle.registry.get('phone-cluster')).toBeDefined();
  expect(nodeB.circle.registry.get('phone-cluster')).toBeUndefined();
  // Both browsers drop; the seats are held on node A.
  for (const client of [ana, ben]) client.client.socket.io.engine.close();
  await until(() => ['reconnecting', 'reconnecting'].join() === [ana, ben].map((c) => nodeA.circle.registry.get('phone-cluster')!.participant(c.participantId)?.connection).join(), 'the seats held');

  // Ben calls node A, which runs the room; Ana calls node B, which does not.
  const benPhone = await call(nodeA, [{ keys: `${ben.pin}#` }, { awaitBye: true }]);
  const anaPhone = await call(nodeB, [{ keys: `${ana.pin}#` }, { pauseMs: 3000 }, { keys: '*9' }, { awaitBye: true }]);
  await until(() => onPhone(ben.participantId), "Ben's phone in his seat on A");
  const anaSeat = await until(() => onPhone(ana.participantId), "Ana's phone in her seat on A, through B");
  expect(anaSeat.role).toBe('client');
  expect(nodeB.circle.registry.get('phone-cluster')).toBeUndefined(); // B opened no room of its own
  expect(fran.client.events('peerLeft')).toEqual([]);

  // Audio both ways across the hop, and neither hears itself.
  benPhone.speak(880);
  anaPhone.speak(440);
  await until(() => anaPhone.hears(880) > 0.2, "Ana (through B) hearing Ben's tone");
  await until(() => benPhone.hears(440) > 0.2, "Ben hearing Ana's tone (through B)");
  expect(anaPhone.hears(440)).toBeLessThan(0.02);
  expect(benPhone.hears(880)).toBeLessThan(0.02);
  // A frame every 20 ms reaches her: A's, relayed by B as they come, with none of B's own on top.
  const lastSecond = anaPhone.heardAt.filter((at) => at > performance.now() - 1000).length;
  expect(lastSecond).toBeGreaterThan(40);
  expect(lastSecond).toBeLessThan(60);
  // Her keys cross too: *9 raises her hand in the room on A.
  const room = nodeA.circle.registry.get('phone-cluster')!;
  await until(() => room.floor.view().queue.includes(ana.participantId), "Ana's *9 raising her hand on A", 8000);

  const metrics = await nodeB.circle.metrics.registry.metrics();
  expect(sample(metrics, 'circle_phone_calls_active')).toBe(1);

  // The facilitator ends the session on A: A hangs up its call from B, and B hangs up on Ana.
  await fran.client.ok('end');
  expect(await anaPhone.exited).toBe(0);
  expect(await benPhone.exited).toBe(0);
  await until(async () => sample(await nodeB.circle.metrics.registry.metrics(), 'circle_phone_calls_total', { outcome: 'forwarded' }) === 1, 'B counting the call as forwarded');
});

it('a forwarded caller whose line goes dead: B hangs up on it and carries on, A holds the seat for the grace', async () => {
  const fran = await seat('phone-cluster-dead', 'Fran', 'facilitator');
  const cy = await seat('phone-cluster-dead', 'Cy', 'client');
  await fran.client.ok('admit', { participantId: cy.participantId });
  cy.client.socket.io.engine.close();
  const room = nodeA.circle.registry.get('phone-cluster-dead')!;
  await until(() => room.participant(cy.participantId)?.connection === 'reconnecting', 'the seat held');
  const cyPhone = await call(nodeB, [{ keys: `${cy.pin}#` }, { awaitBye: true }]);
  await until(() => {
    const participant = room.participant(cy.participantId);
    return participant?.channel.isCall && participant.connection === 'connected';
  }, "Cy's phone in her seat on A, through B");
  const active = async (node: RunningCircle) => sample(await node.circle.metrics.registry.metrics(), 'circle_phone_calls_active');
  // Her line dies: B hangs up on her (a BYE, which sipp takes as the end of its scenario), and the hop falls silent.
  cyPhone.fallSilent();
  expect(await cyPhone.exited).toBe(0);
  await until(async () => (await active(nodeB)) === 0, 'B done with the call');
  // A hears nothing more from the hop: the seat is held for the grace, as for any dead line, and no leave is seen.
  await until(() => room.participant(cy.participantId)?.connection === 'reconnecting', 'the seat held on A', 8000);
  expect(fran.client.events('peerLeft')).toEqual([]);
});

it('a forwarded INVITE whose sealed PIN was not made with the cluster’s secret is refused 403', async () => {
  // sipp's scenario cannot add our header, so this speaks SIP itself over UDP.
  const dgram = await import('node:dgram');
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const replies: string[] = [];
  socket.on('message', (data) => replies.push(data.toString()));
  const port = socket.address().port;
  const sdp = 'v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
  const invite = [
    `INVITE sip:circle@127.0.0.1:${nodeA.sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKforged`,
    `From: <sip:x@127.0.0.1:${port}>;tag=f1`,
    `To: <sip:circle@127.0.0.1:${nodeA.sipPort}>`,
    'Call-ID: forged-hop',
    'CSeq: 1 INVITE',
    `Contact: <sip:x@127.0.0.1:${port}>`,
    'X-Circle-Hop: sealed.v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'Content-Type: application/sdp',
    `Content-Length: ${sdp.length}`,
    '',
    sdp,
  ].join('\r\n');
  socket.send(invite, nodeA.sipPort!, '127.0.0.1');
  await until(() => replies.some((reply) => reply.startsWith('SIP/2.0 403')), 'the forged hop refused');
  socket.close();
});

it('wrong PINs for a session count across both nodes: its staff are told at three, its entries are held back past six, and another session’s callers are not slowed', async () => {
  const fran = await seat('phone-guessed', 'Fran', 'facilitator');
  const ana = await seat('phone-guessed', 'Ana', 'client');
  await fran.client.ok('admit', { participantId: ana.participantId });
  const gil = await seat('phone-other', 'Gil', 'facilitator');
  const hal = await seat('phone-other', 'Hal', 'client');
  await gil.client.ok('admit', { participantId: hal.participantId });
  // Guesses at Ana's session: its code with seat codes that are not hers, three per call, through both nodes.
  const session = ana.pin.slice(0, 4);
  const guess = (n: number) => `${session}${String(n).padStart(ana.pin.length - 4, '0')}`;
  // Each entry keyed by SIP INFO, then a pause for its answer (keys during a check are not taken).
  const entries = (pins: string[]): CallStep[] => pins.flatMap((pin) => [...[...`${pin}#`].map((key) => ({ info: key === '#' ? '11' : key })), { pauseMs: 400 }]);
  const metricOn = async (node: RunningCircle, kind: string) => sample(await node.circle.metrics.registry.metrics(), 'circle_phone_pin_failures_total', { kind }) ?? 0;
  await call(nodeA, [...entries([guess(1), guess(2), guess(3)]), { awaitBye: true }]).then((caller) => caller.exited);
  await until(() => fran.client.events('dialInAttempts').length > 0, 'the staff told');
  expect(fran.client.events('dialInAttempts')[0]).toEqual({ wrongPins: 3, withinMinutes: 60 });
  expect(ana.client.events('dialInAttempts')).toEqual([]); // staff only
  await call(nodeB, [...entries([guess(4), guess(5), guess(6)]), { awaitBye: true }]).then((caller) => caller.exited);
  expect((await metricOn(nodeA, 'wrong')) + (await metricOn(nodeB, 'wrong'))).toBe(6);
  expect((fran.client.events('dialInAttempts') as { wrongPins: number }[]).map((n) => n.wrongPins)).toEqual([3, 4, 5, 6]);

  // A seventh entry for that session, even Ana's own right PIN, is held back (never refused while the prompt runs).
  const held = await call(nodeB, [...entries([ana.pin]), { awaitBye: true }]);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  expect(nodeA.circle.registry.get('phone-guessed')!.participant(ana.participantId)?.callLeg).toBeNull();
  expect(held.sipp.exitCode).toBeNull();
  // Hal's session nobody guessed at: his browser is asked at once.
  const asked = hal.client.next('phoneJoinRequested', 10_000);
  await call(nodeB, [...entries([hal.pin]), { awaitBye: true }]);
  await asked;
});
