import type { Identity } from '../auth/tokens.js';
import type { CircleConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { ParticipantMedia } from '../media/participant-media.js';
import type { DialIn } from '../protocol/events.js';
import { can } from '../rooms/permissions.js';
import type { PrivacyKeys } from '../privacy/privacy-keys.js';
import type { KeyValueStore } from '../store/kv.js';
import type { RoomDirectory } from '../store/room-directory.js';
import { DialInPins } from './dial-in-pins.js';
import { FrameClock } from './frame-clock.js';
import { PhoneCall } from './phone-call.js';
import type { SeatGateway } from './seat-gateway.js';
import { PhoneHops } from './phone-hops.js';
import type { PhoneMeter } from './phone-meter.js';
import { Networks } from './networks.js';
import { PinGate } from './pin-gate.js';
import { Prompts } from './prompts.js';
import { CallVoices } from './room-voices.js';
import { RtpLeg } from './rtp-leg.js';
import { OfferRefused, readOffer, writeAnswer, type AgreedMedia } from './sdp-answer.js';
import type { SipCall } from './sip-dialogs.js';
import { SipEndpoint } from './sip-endpoint.js';
import { SipServer } from './sip-server.js';

export type PhoneSettings = CircleConfig['phone'];

/** A call answered and acknowledged: its leg, what its SDP agreed, the PIN a forwarded call carries. */
interface Acknowledged {
  leg: RtpLeg;
  agreed: AgreedMedia;
  forwardedPin: string | undefined;
}

/** The store's channel for wrong-PIN notices (sealed, as every message there). */
const PIN_NOTICES = 'circle:phone:pin-notices';

/**
 * Dial-in: a SIP endpoint for the clinic's trunk, and a bridge from each answered call into its caller's seat.
 * Calls reach the room through the same seat operations as browsers (`SeatGateway`), so a caller is a participant
 * like any other: the room's rules apply, and the room knows nothing of SIP.
 */
export class PhoneBridge {
  private readonly pins: DialInPins;
  private readonly clock: FrameClock;
  /** Each room's receivers and mixes, for all the calls in it. */
  private readonly voices: CallVoices;
  private readonly endpoint: SipEndpoint;
  private readonly server: SipServer;
  private readonly prompts: Prompts;
  private readonly gate: PinGate;
  private readonly hops: PhoneHops;
  private readonly mediaNetworks: Networks;
  private unacknowledged = 0;
  private port = 0;

  constructor(
    private readonly settings: PhoneSettings,
    kv: KeyValueStore,
    /** Which node runs which room, and the cluster's privacy keys: for calls that reach another node than their room's. */
    cluster: { directory: RoomDirectory; keys: PrivacyKeys },
    private readonly seats: SeatGateway,
    private readonly meter: PhoneMeter,
    private readonly logger: Logger,
  ) {
    this.mediaNetworks = new Networks(settings.allowedMediaNetworks.length ? settings.allowedMediaNetworks : settings.allowedSources);
    this.clock = new FrameClock(() => meter.frameLate());
    this.voices = new CallVoices(seats);
    this.pins = new DialInPins(kv, settings);
    // A notice goes to every node: the one running the room tells its staff.
    this.gate = new PinGate(this.pins, kv, settings, (roomId, wrongPins) => {
      kv.publish(PIN_NOTICES, JSON.stringify({ roomId, wrongPins })).catch(() => undefined);
    });
    kv.subscribe(PIN_NOTICES, (message) => {
      const { roomId, wrongPins } = JSON.parse(message) as { roomId: string; wrongPins: number };
      if (seats.tellStaffOfWrongPins(roomId, wrongPins)) meter.pinNoticeSent();
    });
    this.prompts = new Prompts(settings.promptsDir);
    this.server = new SipServer(
      (flow) => (flow.protocol === 'TLS' ? `sip:circle@${this.address}:${this.settings.tls.port};transport=tls` : `sip:circle@${this.address}:${this.port}`),
      (call) =>
        this.answer(call).catch((error: unknown) => {
          logger.error({ err: error }, 'phone: answering a call failed');
          call.refuse(500, 'Server Internal Error');
        }),
    );
    this.endpoint = new SipEndpoint(
      { host: settings.sipHost, port: settings.sipPort, tcp: settings.tcp, tls: settings.tls, allowedSources: settings.allowedSources, messagesPerSecondPerSource: settings.messagesPerSecondPerSource, messagesBurstPerSource: settings.messagesBurstPerSource },
      (message, flow) => this.server.handle(message, flow),
      (reason) => meter.sipDropped(reason),
    );
    this.hops = new PhoneHops(cluster.directory, cluster.keys, kv, this.server, this.endpoint, settings);
  }

  /** Binds the SIP port; answers it. */
  async listen(): Promise<number> {
    try {
      this.port = await this.endpoint.listen();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      const where = `${this.settings.sipHost}:${this.settings.sipPort}`;
      throw new Error(`phone.sipPort: ${where} is in use; set CIRCLE_PHONE_SIP_PORT to a free port, or CIRCLE_PHONE_ENABLED=false`);
    }
    this.hops.listening(this.port);
    this.logger.info({ port: this.port, host: this.settings.sipHost, tcp: this.settings.tcp, tlsPort: this.settings.tls.port || undefined }, 'phone bridge listening for SIP');
    return this.port;
  }

  /** A seat's dial-in details for its join result: only for roles that may speak. */
  async dialInFor(identity: Identity): Promise<DialIn | undefined> {
    if (!can(identity.role, 'sendMedia')) return undefined;
    try {
      const { pin, number } = await this.seatPin(identity);
      return { pin, number };
    } catch (error) {
      // The join goes on without a PIN: the browser matters more than its fallback.
      this.logger.warn({ err: (error as Error).message }, 'phone: no dial-in PIN issued');
      return undefined;
    }
  }

  /** A seat's PIN, the number to call and until when the PIN works (also for phone-only seats the clinic creates). */
  async seatPin(identity: Identity): Promise<DialIn & { expiresAt: string }> {
    return { ...(await this.pins.pinFor(identity)), number: this.settings.displayNumber };
  }

  /** The receiver at the SFU taking `space`'s voices in `room` for the calls there, if any call is there. */
  receiverIn(room: object, space: string | null): ParticipantMedia | undefined {
    return this.voices.receiverIn(room, space);
  }

  async close(): Promise<void> {
    this.server.hangUpAll();
    // Long enough for the BYEs to leave; their retransmissions are not waited for.
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.server.disposeAll();
    await this.hops.close();
    await this.endpoint.close();
  }

  private get address(): string {
    return this.settings.announcedAddress || this.settings.sipHost;
  }

  private async answer(call: SipCall): Promise<void> {
    if (this.server.activeCalls > this.settings.maxCalls) return this.refuse(call, 486, 'Busy Here');
    // Answered calls not yet acknowledged have a cap of their own: a blind INVITE (from a forged source) is never
    // acknowledged, and each would otherwise hold a call and an RTP port for 64·T1, until honest calls found none.
    if (this.unacknowledged >= this.settings.maxUnacknowledgedCalls) return this.refuse(call, 503, 'Service Unavailable');
    this.unacknowledged += 1;
    let acknowledged: Acknowledged | undefined;
    try {
      acknowledged = await this.answerUntilAcknowledged(call);
    } finally {
      this.unacknowledged -= 1;
    }
    if (acknowledged) this.startCall(call, acknowledged);
  }

  /** Everything up to the caller's ACK: the hop's seal, the offer, the RTP port, ringing, the answer. */
  private async answerUntilAcknowledged(call: SipCall): Promise<Acknowledged | undefined> {
    let forwardedPin: string | undefined;
    try {
      forwardedPin = await this.hops.pinOf(call.invite, call.flow.address);
    } catch {
      return this.refuse(call, 403, 'Forbidden'); // a hop sealed without the cluster's secret, for another call, old or seen before
    }
    let agreed;
    try {
      agreed = readOffer(call.offer, call.flow.protocol === 'TLS');
    } catch (error) {
      if (!(error instanceof OfferRefused)) throw error;
      return this.refuse(call, 488, 'Not Acceptable Here');
    }
    // Circle sends RTP only into the trunk's media networks: an INVITE whose c= names anyone else (a victim to flood)
    // is refused before a port is opened.
    if (!this.mediaNetworks.contains(agreed.remoteAddress)) {
      this.meter.sipDropped('media-not-allowed');
      return this.refuse(call, 488, 'Not Acceptable Here');
    }
    let leg: RtpLeg;
    try {
      leg = await RtpLeg.open(this.settings.rtpHost, [this.settings.rtpPortMin, this.settings.rtpPortMax], agreed, [agreed.remoteAddress, call.flow.address]);
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'phone: no RTP port for a call');
      return this.refuse(call, 503, 'Service Unavailable');
    }
    if (this.settings.ringMs > 0) {
      call.ring();
      await new Promise((resolve) => setTimeout(resolve, this.settings.ringMs));
    }
    if (call.ended) {
      leg.close(); // cancelled while ringing or while the port was being bound
      this.meter.callTurnedAway('cancelled');
      return;
    }
    call.answer(writeAnswer(agreed, this.address, leg.port, 1));
    // No prompt, no media, no key taken before the ACK that carries our tag: a caller who forged the trunk's address
    // never received our answer, so cannot send it, and gets nothing.
    if (!(await call.confirmation())) {
      leg.close();
      this.meter.callTurnedAway('abandoned');
      return;
    }
    return { leg, agreed, forwardedPin };
  }

  private startCall(call: SipCall, { leg, agreed, forwardedPin }: Acknowledged): void {
    this.meter.callStarted();
    new PhoneCall(call, leg, {
      clock: this.clock,
      prompts: this.prompts,
      gate: this.gate,
      seats: this.seats,
      voices: this.voices,
      settings: this.settings,
      logger: this.logger,
      mediaAddress: this.address,
      mediaNetworks: this.mediaNetworks,
      agreed,
      hops: this.hops,
      forwardedPin,
      hooks: {
        ended: (outcome) => this.meter.callEnded(outcome),
        pinFailure: (kind) => this.meter.pinFailed(kind),
        legStats: (stats) => this.meter.legRead(stats),
      },
    });
  }

  /** Refuses the call with a final answer; answers undefined, as a call that goes no further. */
  private refuse(call: SipCall, status: number, reason: string): undefined {
    call.refuse(status, reason);
    this.meter.callTurnedAway('refused');
    return undefined;
  }
}
