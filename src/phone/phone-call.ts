import type { Identity } from '../auth/tokens.js';
import type { Logger } from '../logging/logger.js';
import { CircleError } from '../protocol/errors.js';
import type { FrameClock } from './frame-clock.js';
import { clip, FRAME_MS, FRAME_SAMPLES, SampleQueue } from './phone-audio.js';
import { PhoneSeat, type CallerPort } from './phone-seat.js';
import type { SeatGateway } from './seat-gateway.js';
import type { CallVoices } from './room-voices.js';
import type { PinGate } from './pin-gate.js';
import type { PromptName, Prompts } from './prompts.js';
import type { LegStats, RtpLeg } from './rtp-leg.js';
import type { Hop, PhoneHops } from './phone-hops.js';
import type { Networks } from './networks.js';
import { OfferRefused, readOffer, writeAnswer, type AgreedMedia } from './sdp-answer.js';
import type { LocalAddress } from './sip-client-call.js';
import type { CallEnd, SipCall } from './sip-dialogs.js';
import { keyFromInfo } from './telephone-events.js';

/** How a call ended, for `circle_phone_calls_total{outcome}`. */
export const CALL_OUTCOMES = ['joined', 'forwarded', 'wrong-pin', 'no-input', 'abandoned', 'cancelled', 'refused', 'unavailable'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];
/** How a PIN entry failed, for `circle_phone_pin_failures_total{kind}`. */
export const PIN_FAILURE_KINDS = ['wrong', 'unknown-session', 'limited'] as const;
export type PinFailureKind = (typeof PIN_FAILURE_KINDS)[number];

const WRONG_PINS_ALLOWED = 3;
/** After the far node hangs up a forwarded call, what it said last may still be on its way. */
const HOP_FAREWELL_MS = 200;
/** The far node's frames of a forwarded call stopped this long ago: this node's clock sends again (silence, a prompt). */
const HOP_SILENCE_MS = 3 * FRAME_MS;
const LONGEST_ENTRY = 20;
/** What a caller hears when the room refuses the seat. */
const FAREWELL_FOR: Partial<Record<string, PromptName>> = { SESSION_ENDED: 'ended', REMOVED: 'removed', ALREADY_JOINED: 'seatOnCall', E2EE_UNSUPPORTED: 'encrypted' };

/** The last two digits of the number in the caller's From URI (`sip:+15555550123@…`, `tel:…`), if it is a number. */
export function callerDigits(uri: string): string | undefined {
  const user = uri.replace(/^(sips?|tel):/, '').split(/[@;]/)[0] ?? '';
  return /^\+?[0-9-]{3,20}$/.test(user) ? user.replace(/\D/g, '').slice(-2) : undefined;
}

export interface CallHooks {
  ended(outcome: CallOutcome): void;
  pinFailure(kind: PinFailureKind): void;
  /** Sampled each second while the call lasts. */
  legStats(stats: LegStats): void;
}

export interface CallContext {
  clock: FrameClock;
  prompts: Prompts;
  gate: PinGate;
  seats: SeatGateway;
  /** Each room's receivers and mixes, kept by the bridge for all its calls. */
  voices: CallVoices;
  settings: { digitTimeoutMs: number; pinEntryTimeoutMs: number; rtpTimeoutMs: number };
  hooks: CallHooks;
  logger: Logger;
  /** The address and port Circle's SDP names. */
  mediaAddress: string;
  /** Where a caller's media may be: a re-INVITE moving it elsewhere is refused. */
  mediaNetworks: Networks;
  /** What the caller's SDP and ours agreed on (a forwarded call offers the same to the node it goes to). */
  agreed: AgreedMedia;
  /** Forwarding to the node that runs the room (with several nodes); absent on one node. */
  hops?: PhoneHops;
  /** The PIN a call forwarded from another node carries: keyed there already, so no prompt and no keys here. */
  forwardedPin?: string;
}

/**
 * One telephone call, answered: the caller hears a prompt, keys their PIN and `#`, and takes their seat; in the
 * room, `*6` and `*9` are theirs. Every 20 ms the call sends the caller a frame (the room's mix and any prompt, or
 * silence), so the line never goes quiet. It ends with the caller's BYE (the seat is left), with silence on the line
 * (the seat is held for the grace, as for a dropped browser), or after a farewell prompt.
 */
export class PhoneCall implements CallerPort {
  private stage: 'pin' | 'checking' | 'seated' | 'hopped' | 'leaving' | 'over' = 'pin';
  private digits = '';
  private wrongPins = 0;
  private readonly prompt = new SampleQueue(0, Number.MAX_SAFE_INTEGER);
  private digitTimer: NodeJS.Timeout | undefined;
  /** The whole PIN prompt's deadline: each key restarts the digit timer, never this one. */
  private readonly entryTimer: NodeJS.Timeout;
  private statsTimer: NodeJS.Timeout;
  private seat: PhoneSeat | undefined;
  /** The node running the room, when this call was forwarded there. */
  private hop: Hop | undefined;
  private outcome: CallOutcome | undefined;
  private sdpVersion = 1;
  private readonly tick = (frame: number) => this.sendFrame(frame);

  constructor(
    private readonly sip: SipCall,
    private readonly leg: RtpLeg,
    private readonly context: CallContext,
  ) {
    leg.on('key', (key) => this.key(key));
    leg.on('audio', (samples) => {
      this.seat?.uplink(samples);
      this.hop?.send(samples);
    });
    sip.on('info', (type, body) => {
      const key = keyFromInfo(type, body);
      if (key) this.key(key);
    });
    sip.on('ended', (why) => this.sipEnded(why));
    sip.onReoffer = (sdp) => this.reoffer(sdp);
    this.statsTimer = setInterval(() => context.hooks.legStats(leg.readStats()), 1000);
    context.clock.add(this.tick);
    // Also while an entry is held back by the guessing limits: the caller is told to try again later.
    this.entryTimer = setTimeout(() => {
      if (this.stage === 'pin') this.farewell('noInput', 'no-input');
      else if (this.stage === 'checking') this.farewell('tooManyAttempts', 'wrong-pin');
    }, context.settings.pinEntryTimeoutMs);
    if (context.forwardedPin !== undefined) {
      void this.submit(context.forwardedPin);
      return;
    }
    this.say('welcome');
    this.awaitDigits();
  }

  keysFailed(error: unknown): void {
    this.context.logger.warn({ err: (error as Error).message }, 'phone: the key agreement for an encrypted call failed');
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

  private sendFrame(frame: number): void {
    // A forwarded call hears the far node's frames as they come (`Hop.onAudio`); this clock only fills a silence.
    if (!this.hop || Date.now() - this.hop.lastPacketAt > HOP_SILENCE_MS) {
      const mix = new Int32Array(FRAME_SAMPLES);
      this.seat?.mixInto(mix, frame);
      this.prompt.mixInto(mix);
      this.leg.send(clip(mix));
    }
    const { rtpTimeoutMs } = this.context.settings;
    if (this.stage === 'leaving' && this.prompt.size === 0) this.sip.hangUp();
    else if (Date.now() - this.leg.lastPacketAt > rtpTimeoutMs) this.callerVanished();
    else if (this.hop && Date.now() - this.hop.lastPacketAt > rtpTimeoutMs) this.farewell('unavailable');
  }

  private key(key: string): void {
    if (this.stage === 'seated') return this.seat?.key(key);
    if (this.stage === 'hopped') return this.hop?.key(key);
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

  private async submit(pin = this.digits): Promise<void> {
    this.digits = '';
    this.stage = 'checking';
    clearTimeout(this.digitTimer);
    const verdict = await this.context.gate.check(pin, () => this.stage === 'checking').catch(() => undefined);
    if (verdict && 'refused' in verdict) this.context.hooks.pinFailure(verdict.refused);
    if (this.stage !== 'checking') return; // hung up meanwhile, or the prompt's deadline passed while held back
    if (!verdict) return this.farewell('unavailable', 'unavailable');
    if ('seat' in verdict) return this.takeSeat(verdict.seat, pin);
    this.wrongPins += 1;
    if (this.wrongPins >= WRONG_PINS_ALLOWED) return this.farewell('tooManyAttempts', 'wrong-pin');
    this.stage = 'pin';
    this.say('wrongPin');
    this.awaitDigits();
  }

  private async takeSeat(identity: Identity, pin: string): Promise<void> {
    // A call forwarded here is never forwarded again: the room's owner changing meanwhile ends it below.
    const owner = this.context.forwardedPin === undefined ? await this.context.hops?.ownerElsewhere(identity.roomId) : undefined;
    if (this.stage !== 'checking') return; // hung up meanwhile
    if (owner) return this.forward(owner, pin);
    const seat = new PhoneSeat(identity, this.context.seats, this.context.voices, this, callerDigits(this.sip.invite.headers.from.uri));
    this.seat = seat;
    this.stage = 'seated';
    try {
      await seat.take();
      this.outcome = 'joined';
    } catch (error) {
      if (!(error instanceof CircleError)) this.context.logger.error({ err: error }, 'phone: taking a seat failed');
      const code = error instanceof CircleError ? error.code : 'INTERNAL';
      this.stage = 'checking';
      this.farewell(FAREWELL_FOR[code] ?? 'unavailable', 'unavailable');
    }
  }

  /** The room runs on another node: the call goes on there, through this node. */
  private async forward(owner: LocalAddress, pin: string): Promise<void> {
    let hop: Hop;
    try {
      hop = await this.context.hops!.forward(owner, pin, this.context.agreed);
    } catch (error) {
      this.context.logger.warn({ err: (error as Error).message }, 'phone: forwarding a call to the node running its room failed');
      return this.farewell('unavailable', 'unavailable');
    }
    if (this.stage !== 'checking') return hop.hangUp(); // the caller hung up meanwhile
    this.hop = hop;
    this.stage = 'hopped';
    hop.onAudio((samples) => this.leg.send(samples));
    this.outcome = 'forwarded';
    // The far node said its farewell (the session ended, the seat was taken): its words have reached the caller.
    hop.onEnded(() => setTimeout(() => this.sip.hangUp(), HOP_FAREWELL_MS));
  }

  private reoffer(sdp: string): string | undefined {
    try {
      const agreed = readOffer(sdp, this.sip.flow.protocol === 'TLS');
      if (!this.context.mediaNetworks.contains(agreed.remoteAddress)) return undefined;
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
    if (why === 'bye') this.hop?.hangUp();
    else this.hop?.fallSilent();
    this.stage = 'over';
    clearTimeout(this.digitTimer);
    clearTimeout(this.entryTimer);
    clearInterval(this.statsTimer);
    this.context.clock.delete(this.tick);
    this.leg.close();
    this.context.hooks.ended(this.outcome ?? (why === 'cancel' ? 'cancelled' : 'abandoned'));
  }
}
