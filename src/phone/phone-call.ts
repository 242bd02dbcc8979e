import type { Identity } from '../auth/tokens.js';
import type { Logger } from '../logging/logger.js';
import { CircleError } from '../protocol/errors.js';
import type { FrameClock } from './frame-clock.js';
import { clip, FRAME_SAMPLES, SampleQueue } from './phone-audio.js';
import { PhoneSeat, type CallerPort, type SeatGateway } from './phone-seat.js';
import type { PinGate } from './pin-gate.js';
import type { PromptName, Prompts } from './prompts.js';
import type { LegStats, RtpLeg } from './rtp-leg.js';
import { OfferRefused, readOffer, writeAnswer } from './sdp-answer.js';
import type { CallEnd, SipCall } from './sip-dialogs.js';
import { keyFromInfo } from './telephone-events.js';

/** How a call ended, for `circle_phone_calls_total{outcome}`. */
export const CALL_OUTCOMES = ['joined', 'wrong-pin', 'no-input', 'abandoned', 'cancelled', 'refused', 'unavailable'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

const WRONG_PINS_ALLOWED = 3;
const LONGEST_ENTRY = 20;

export interface CallHooks {
  ended(outcome: CallOutcome): void;
  pinFailure(): void;
  /** Sampled each second while the call lasts. */
  legStats(stats: LegStats): void;
}

export interface CallContext {
  clock: FrameClock;
  prompts: Prompts;
  gate: PinGate;
  seats: SeatGateway;
  settings: { digitTimeoutMs: number; rtpTimeoutMs: number };
  hooks: CallHooks;
  logger: Logger;
  /** The address and port Circle's SDP names. */
  mediaAddress: string;
}

/**
 * One telephone call, answered: the caller hears a prompt, keys their PIN and `#`, and takes their seat; in the
 * room, `*6` and `*9` are theirs. Every 20 ms the call sends the caller a frame (the room's mix and any prompt, or
 * silence), so the line never goes quiet. It ends with the caller's BYE (the seat is left), with silence on the line
 * (the seat is held for the grace, as for a dropped browser), or after a farewell prompt.
 */
export class PhoneCall implements CallerPort {
  private stage: 'pin' | 'checking' | 'seated' | 'leaving' | 'over' = 'pin';
  private digits = '';
  private wrongPins = 0;
  private readonly prompt = new SampleQueue(0, Number.MAX_SAFE_INTEGER);
  private digitTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout;
  private seat: PhoneSeat | undefined;
  private outcome: CallOutcome | undefined;
  private sdpVersion = 1;
  private readonly tick = () => this.sendFrame();

  constructor(
    private readonly sip: SipCall,
    private readonly leg: RtpLeg,
    private readonly context: CallContext,
  ) {
    leg.on('key', (key) => this.key(key));
    leg.on('audio', (samples) => this.seat?.uplink(samples));
    sip.on('info', (type, body) => {
      const key = keyFromInfo(type, body);
      if (key) this.key(key);
    });
    sip.on('ended', (why) => this.sipEnded(why));
    sip.onReoffer = (sdp) => this.reoffer(sdp);
    this.statsTimer = setInterval(() => context.hooks.legStats(leg.readStats()), 1000);
    context.clock.add(this.tick);
    this.say('welcome');
    this.awaitDigits();
  }

  say(name: PromptName): void {
    if (this.stage === 'leaving' || this.stage === 'over') return;
    this.prompt.push(this.context.prompts.get(name));
  }

  farewell(name: PromptName, outcome?: CallOutcome): void {
    if (this.stage === 'leaving' || this.stage === 'over') return;
    this.outcome ??= outcome;
    this.prompt.clear();
    this.prompt.push(this.context.prompts.get(name));
    this.stage = 'leaving';
    clearTimeout(this.digitTimer);
  }

  private sendFrame(): void {
    const mix = new Int32Array(FRAME_SAMPLES);
    this.seat?.mixInto(mix);
    this.prompt.mixInto(mix);
    this.leg.send(clip(mix));
    if (this.stage === 'leaving' && this.prompt.size === 0) this.sip.hangUp();
    else if (Date.now() - this.leg.lastPacketAt > this.context.settings.rtpTimeoutMs) this.callerVanished();
  }

  private key(key: string): void {
    if (this.stage === 'seated') return this.seat?.key(key);
    if (this.stage !== 'pin') return;
    this.prompt.clear(); // the caller is keying: no need to hear the rest
    this.awaitDigits();
    if (key === '#') void this.submit();
    else if (key === '*') this.digits = '';
    else if (/\d/.test(key) && this.digits.length < LONGEST_ENTRY) this.digits += key;
  }

  private awaitDigits(): void {
    clearTimeout(this.digitTimer);
    this.digitTimer = setTimeout(() => this.farewell('noInput', 'no-input'), this.context.settings.digitTimeoutMs);
  }

  private async submit(): Promise<void> {
    const pin = this.digits;
    this.digits = '';
    this.stage = 'checking';
    clearTimeout(this.digitTimer);
    const verdict = await this.context.gate.check(pin, this.sip.flow.address).catch(() => undefined);
    if (this.stage !== 'checking') return; // hung up meanwhile
    if (!verdict) return this.farewell('unavailable', 'unavailable');
    if ('seat' in verdict) return this.takeSeat(verdict.seat);
    this.context.hooks.pinFailure();
    this.wrongPins += 1;
    if (verdict.refused === 'too-many' || this.wrongPins >= WRONG_PINS_ALLOWED) return this.farewell('tooManyAttempts', 'wrong-pin');
    this.stage = 'pin';
    this.say('wrongPin');
    this.awaitDigits();
  }

  private async takeSeat(identity: Identity): Promise<void> {
    const seat = new PhoneSeat(identity, this.context.seats, this);
    this.seat = seat;
    this.stage = 'seated';
    try {
      await seat.take();
      this.outcome = 'joined';
    } catch (error) {
      if (!(error instanceof CircleError)) this.context.logger.error({ err: error }, 'phone: taking a seat failed');
      const code = error instanceof CircleError ? error.code : 'INTERNAL';
      this.stage = 'checking';
      this.farewell(code === 'SESSION_ENDED' ? 'ended' : code === 'REMOVED' ? 'removed' : 'unavailable', 'unavailable');
    }
  }

  private reoffer(sdp: string): string | undefined {
    try {
      const agreed = readOffer(sdp, this.sip.flow.protocol === 'TLS');
      this.leg.update(agreed);
      return writeAnswer(agreed, this.context.mediaAddress, this.leg.port, (this.sdpVersion += 1));
    } catch (error) {
      if (error instanceof OfferRefused) return undefined;
      throw error;
    }
  }

  /** No RTP for `rtpTimeoutMs`: the line is dead. A seated caller's seat is held for the grace. */
  private callerVanished(): void {
    if (this.stage === 'seated') this.seat?.hold();
    this.outcome ??= 'abandoned';
    this.sip.hangUp();
  }

  private sipEnded(why: CallEnd): void {
    if (this.stage === 'over') return;
    if (why === 'bye') this.seat?.leave();
    else if (why === 'no-ack') this.seat?.hold();
    else this.seat?.close();
    this.stage = 'over';
    clearTimeout(this.digitTimer);
    clearInterval(this.statsTimer);
    this.context.clock.delete(this.tick);
    this.leg.close();
    this.context.hooks.ended(this.outcome ?? (why === 'cancel' ? 'cancelled' : 'abandoned'));
  }
}
