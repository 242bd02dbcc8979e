// The call's state machine against fakes, in milliseconds: the PIN prompt (keys, `#`, `*`, wrong PINs, the digit
// timer and the whole prompt's deadline), taking the seat and the room's refusals, keys in the room, a dead line
// and a BYE, with the outcome each ending counts. The SIP, RTP and the room are fakes here; the same paths run
// against sipp, a mediasoup worker and Chromium in test/integration/phone*.test.ts.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Identity } from '../../src/auth/tokens.js';
import type { Logger } from '../../src/logging/logger.js';
import { CircleError } from '../../src/protocol/errors.js';
import type { FrameClock } from '../../src/phone/frame-clock.js';
import type { Networks } from '../../src/phone/networks.js';
import { PhoneCall, type CallOutcome } from '../../src/phone/phone-call.js';
import type { PinGate, PinVerdict } from '../../src/phone/pin-gate.js';
import type { PromptName, Prompts } from '../../src/phone/prompts.js';
import { CallVoices } from '../../src/phone/room-voices.js';
import type { RtpLeg } from '../../src/phone/rtp-leg.js';
import type { AgreedMedia } from '../../src/phone/sdp-answer.js';
import type { SeatGateway } from '../../src/phone/seat-gateway.js';
import type { CallEnd, SipCall } from '../../src/phone/sip-dialogs.js';

const ANA: Identity = { participantId: 'ana', roomId: 'room-1', displayName: 'Ana', role: 'client' };
const GOOD_PIN = '12345678901234';
const SETTINGS = { digitTimeoutMs: 5_000, pinEntryTimeoutMs: 60_000, rtpTimeoutMs: 10_000 };
/** Each prompt lasts two frames, so a farewell is heard through before the hang-up. */
const PROMPT = new Int16Array(320);

function setUp({ verdict = async (pin: string): Promise<PinVerdict> => (pin === GOOD_PIN ? { seat: ANA } : { refused: 'wrong' }), join }: {
  verdict?: (pin: string) => Promise<PinVerdict>;
  join?: () => Promise<never>;
} = {}) {
  const said: PromptName[] = [];
  const did: string[] = [];
  const outcomes: CallOutcome[] = [];
  const ticks = new Set<(frame: number) => void>();
  let frame = 0;

  const events = new EventEmitter();
  const sip = Object.assign(events, {
    invite: { headers: { from: { uri: 'sip:+15555550123@trunk' } } },
    flow: { protocol: 'UDP' },
    onReoffer: undefined as unknown,
    hangUp: (why: CallEnd = 'hung-up') => {
      did.push('sip hang-up');
      events.emit('ended', why);
    },
  });
  const leg = Object.assign(new EventEmitter(), {
    lastPacketAt: Date.now(),
    port: 40_000,
    sent: 0,
    send() {
      leg.sent += 1;
    },
    readStats: () => ({ expected: 0, received: 0, lost: 0, jitterSeconds: 0 }),
    close: () => void did.push('leg closed'),
    update: () => undefined,
  });
  const participant = { id: 'ana', admitted: true, callLeg: null, wants: { audio: true }, selfView: () => ({ locks: { audio: false } }) };
  const membership = { room: {}, participant };
  const seats = {
    join: join ?? (async () => (did.push('join'), membership)),
    hangUp: () => void did.push('seat left'),
    lose: () => void did.push('seat held'),
    seatOf: () => participant,
    floor: () => ({ mode: 'open', holder: null, queue: [] }),
    peers: () => [],
    toggleHand: () => (did.push('hand'), 'raised'),
    sendVoice: async () => undefined,
    encryption: () => 'off',
    // The space's receiver and mix, which the call reads every frame once seated.
    roomKey: () => membership.room,
    onParted: () => () => undefined,
    openReceiver: () => {
      did.push('receiver opened');
      const receiver = { consumers: new Map(), on: () => receiver, createDirectTransport: async () => undefined, closeConsumersOf: () => undefined, close: () => void did.push('receiver closed') };
      return receiver;
    },
  } as unknown as SeatGateway;

  const call = new PhoneCall(sip as unknown as SipCall, leg as unknown as RtpLeg, {
    clock: { add: (tick: (frame: number) => void) => ticks.add(tick), delete: (tick: (frame: number) => void) => ticks.delete(tick) } as unknown as FrameClock,
    prompts: {
      get: (name: PromptName) => {
        said.push(name);
        return PROMPT;
      },
    } as unknown as Prompts,
    gate: { check: (pin: string) => verdict(pin) } as unknown as PinGate,
    seats,
    voices: new CallVoices(seats),
    settings: SETTINGS,
    hooks: { ended: (outcome) => outcomes.push(outcome), pinFailure: (kind) => did.push(`pin ${kind}`), legStats: () => undefined },
    logger: { error: () => undefined, warn: () => undefined } as unknown as Logger,
    mediaAddress: '127.0.0.1',
    mediaNetworks: { contains: () => true } as unknown as Networks,
    agreed: {} as AgreedMedia,
  });

  /** Frames pass on the call's clock (20 ms each), the caller's RTP still arriving unless `silent`. */
  const frames = async (count: number, { silent = false } = {}) => {
    for (let i = 0; i < count; i += 1) {
      vi.advanceTimersByTime(20);
      if (!silent) leg.lastPacketAt = Date.now();
      for (const tick of [...ticks]) tick((frame += 1));
      await Promise.resolve();
    }
  };
  const keys = async (typed: string) => {
    for (const key of typed) leg.emit('key', key);
    await vi.advanceTimersByTimeAsync(0);
  };
  return { call, sip, leg, said, did, outcomes, frames, keys, ticks };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('a phone call', () => {
  it('welcomes the caller, takes a right PIN to the seat, and leaves the seat on BYE (outcome joined)', async () => {
    const { sip, said, did, outcomes, keys, frames, leg, ticks } = setUp();
    expect(said).toEqual(['welcome']);
    await keys(`${GOOD_PIN}#`);
    expect(did).toContain('join');
    expect(said).toEqual(['welcome', 'joined']);
    await frames(3);
    expect(leg.sent).toBe(3); // a frame every tick, silence included
    sip.emit('ended', 'bye');
    // The group's receiver opened with the first frame mixed, and closed with the last caller there.
    expect(did).toEqual(['join', 'receiver opened', 'seat left', 'receiver closed', 'leg closed']);
    expect(outcomes).toEqual(['joined']);
    expect(ticks.size).toBe(0);
  });

  it('counts wrong PINs; the third ends the call after its farewell (outcome wrong-pin)', async () => {
    const { said, did, outcomes, keys, frames } = setUp();
    await keys('111#');
    await keys('222#');
    expect(said).toEqual(['welcome', 'wrongPin', 'wrongPin']);
    await keys('333#');
    expect(said.at(-1)).toBe('tooManyAttempts');
    expect(did.filter((d) => d === 'pin wrong')).toHaveLength(3);
    expect(did).not.toContain('sip hang-up');
    await frames(3); // the farewell is heard through, then the call hangs up
    expect(did).toContain('sip hang-up');
    expect(outcomes).toEqual(['wrong-pin']);
  });

  it('starts the entry over on `*`, and ignores keys past the longest PIN', async () => {
    const checked: string[] = [];
    const { keys } = setUp({ verdict: async (pin) => (checked.push(pin), { refused: 'wrong' }) });
    await keys('999*12#');
    await keys(`${'7'.repeat(30)}#`);
    expect(checked).toEqual(['12', '7'.repeat(20)]);
  });

  it('hangs up on a caller who keys nothing (outcome no-input), and on one who keys forever at the whole prompt deadline', async () => {
    const silent = setUp();
    await vi.advanceTimersByTimeAsync(SETTINGS.digitTimeoutMs);
    expect(silent.said.at(-1)).toBe('noInput');
    await silent.frames(3);
    expect(silent.outcomes).toEqual(['no-input']);

    const keying = setUp();
    for (let elapsed = 0; elapsed < SETTINGS.pinEntryTimeoutMs - 1_000; elapsed += 1_000) {
      keying.leg.emit('key', '1');
      await vi.advanceTimersByTimeAsync(1_000);
      keying.leg.lastPacketAt = Date.now();
    }
    expect(keying.said).not.toContain('noInput');
    keying.leg.emit('key', '1');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(keying.said.at(-1)).toBe('noInput');
    await keying.frames(3);
    expect(keying.outcomes).toEqual(['no-input']);
  });

  it('says why the room refused the seat and ends (outcome unavailable)', async () => {
    const { said, outcomes, keys, frames } = setUp({
      join: async () => {
        throw new CircleError('REMOVED', 'removed');
      },
    });
    await keys(`${GOOD_PIN}#`);
    expect(said.at(-1)).toBe('removed');
    await frames(3);
    expect(outcomes).toEqual(['unavailable']);
  });

  it('hands keys in the room to the seat: *9 raises the hand; a lone 9 does nothing', async () => {
    const { did, keys } = setUp();
    await keys(`${GOOD_PIN}#`);
    await keys('9');
    expect(did).not.toContain('hand');
    await keys('*9');
    expect(did).toContain('hand');
  });

  it('holds the seat for the grace when the line goes dead (no RTP), keeping the outcome joined', async () => {
    const { did, outcomes, keys, frames } = setUp();
    await keys(`${GOOD_PIN}#`);
    await frames(SETTINGS.rtpTimeoutMs / 20 + 2, { silent: true });
    expect(did).toEqual(['join', 'receiver opened', 'seat held', 'receiver closed', 'sip hang-up', 'leg closed']);
    expect(outcomes).toEqual(['joined']);
  });

  it('ends a call that hung up while its PIN was being checked without taking the seat (outcome abandoned)', async () => {
    let answer: (verdict: PinVerdict) => void = () => undefined;
    const { sip, did, outcomes, keys } = setUp({ verdict: () => new Promise((resolve) => (answer = resolve)) });
    await keys(`${GOOD_PIN}#`);
    sip.emit('ended', 'bye');
    answer({ seat: ANA });
    await vi.advanceTimersByTimeAsync(0);
    expect(did).not.toContain('join');
    expect(outcomes).toEqual(['abandoned']);
  });
});
