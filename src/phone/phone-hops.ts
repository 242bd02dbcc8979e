import { randomUUID } from 'node:crypto';
import type { SipMessage } from './sip-wire.js';
import type { KeyValueStore } from '../store/kv.js';
import type { PrivacyKeys } from '../privacy/privacy-keys.js';
import type { RoomDirectory } from '../store/room-directory.js';
import { FrameCutter } from './phone-audio.js';
import { RtpLeg } from './rtp-leg.js';
import { readOffer, writeAnswer, type AgreedMedia } from './sdp-answer.js';
import { SipClientCall, type LocalAddress } from './sip-client-call.js';
import type { SipEndpoint } from './sip-endpoint.js';
import type { SipServer } from './sip-server.js';

/** The header that carries a caller's PIN from the node that answered to the node that runs the room, sealed. */
export const HOP_HEADER = 'x-circle-hop';
/** A hop's seal is good for this long: enough for one INVITE and its repeats. */
const HOP_LIFETIME_MS = 30_000;
/** Where each node's bridge sends its forwarded calls from, as the other nodes check it. */
const nodeKey = (nodeId: string) => `circle:phone:node:${nodeId}`;
/** How long a node's SIP address is kept: renewed while it runs. */
const NODE_ADDRESS_MS = 10 * 60_000;

export interface HopSettings {
  rtpHost: string;
  rtpPortMin: number;
  rtpPortMax: number;
  announcedAddress: string;
  sipHost: string;
}

/**
 * Calls that reach a node which does not run their room. The PINs live in the shared store, so any node can tell
 * whose seat a PIN is; the node holding the room's lease is the one whose router the seat's media must reach. The
 * node that answered forwards the call there: a SIP call of its own to that node's bridge, carrying the PIN sealed
 * under the cluster's privacy secret (bound to that call's Call-ID and From tag and to the forwarding node, whose SIP
 * address the shared store says; short-lived; single use across the cluster), and a plain G.711 leg it relays the caller's
 * audio and keys over, and the room's audio back. The caller's own leg (TLS and SRTP included) stays where it was.
 */
export class PhoneHops {
  private announcing: NodeJS.Timeout | undefined;

  constructor(
    private readonly directory: RoomDirectory,
    private readonly keys: PrivacyKeys,
    /** Where each seal's nonce is remembered until it expires, so that a copy of the INVITE is refused. */
    private readonly kv: KeyValueStore,
    private readonly server: SipServer,
    private readonly endpoint: SipEndpoint,
    private readonly settings: HopSettings,
  ) {}

  /**
   * Announces this node's SIP port to the others: in its directory entry (where to forward to), and in the store by
   * node (where a call forwarded by it comes from). Renewed while the node runs.
   */
  listening(port: number): void {
    const address = { host: this.settings.announcedAddress || this.settings.sipHost, port };
    this.directory.self.sip = address;
    const announce = () => this.kv.set(nodeKey(this.directory.self.nodeId), address.host, NODE_ADDRESS_MS).catch(() => undefined);
    void announce();
    this.announcing = setInterval(announce, NODE_ADDRESS_MS / 3);
    this.announcing.unref();
  }

  /** The node stops taking calls: no more forwarded calls are taken as its. */
  async close(): Promise<void> {
    clearInterval(this.announcing);
    await this.kv.del(nodeKey(this.directory.self.nodeId)).catch(() => undefined);
  }

  /** The bridge of the node that runs `roomId`, when that is another node that takes calls; else undefined. */
  async ownerElsewhere(roomId: string): Promise<LocalAddress | undefined> {
    const owner = await this.directory.owner(roomId).catch(() => undefined);
    return owner && owner.nodeId !== this.directory.self.nodeId ? owner.sip : undefined;
  }

  /**
   * The PIN a forwarded call carries; undefined when it carries none; throws when its seal is forged, moved to
   * another call, old, or used once already (anywhere in the cluster).
   */
  async pinOf(invite: SipMessage, from: string): Promise<string | undefined> {
    const sealed = invite.headers[HOP_HEADER];
    if (sealed === undefined) return undefined;
    const context = this.context(invite.headers['call-id'], invite.headers.from.params.tag ?? '');
    const { pin, until, nonce, node } = JSON.parse(this.keys.open(String(sealed), context, 'phone hop')) as { pin: string; until: number; nonce: string; node: string };
    const left = until - Date.now();
    if (left <= 0) throw new Error('an expired phone hop');
    // Only from the node that sealed it: a copy sent from anywhere else is refused even before it is used.
    if ((await this.kv.get(nodeKey(node))) !== from) throw new Error('a phone hop from another address than its node’s');
    const mine = randomUUID();
    if ((await this.kv.claim(`circle:phone:hop-nonce:${nonce}`, mine, left)) !== mine) throw new Error('a phone hop seen before');
    return pin;
  }

  /** Places the forwarded call to `to` with `pin`; resolves once it is answered, rejects if it is not. */
  async forward(to: LocalAddress, pin: string, caller: AgreedMedia): Promise<Hop> {
    const plain: AgreedMedia = { ...caller, srtp: undefined, remoteAddress: to.host, remotePort: 0, packetMs: 20 };
    const leg = await RtpLeg.open(this.settings.rtpHost, [this.settings.rtpPortMin, this.settings.rtpPortMax], plain, [to.host]);
    const local = { host: this.settings.announcedAddress || this.settings.sipHost, port: this.directory.self.sip?.port ?? 0 };
    const call = new SipClientCall(this.endpoint.flowTo(to.host, to.port), local, `sip:circle@${to.host}:${to.port}`);
    this.server.place(call);
    const sealed = { pin, until: Date.now() + HOP_LIFETIME_MS, nonce: randomUUID(), node: this.directory.self.nodeId };
    const seal = this.keys.seal(JSON.stringify(sealed), this.context(call.callId, call.localTag));
    const answered = new Promise<string>((resolve, reject) => {
      call.once('answered', resolve);
      call.once('failed', () => reject(new Error('the node running the room did not take the call')));
    });
    call.invite(writeAnswer(plain, local.host, leg.port, 1), { [HOP_HEADER]: seal });
    try {
      leg.update(readOffer(await answered));
    } catch (error) {
      call.hangUp();
      leg.close();
      throw error;
    }
    return new Hop(call, leg);
  }

  private context(callId: string, fromTag: string): string {
    return `phone hop:${callId}:${fromTag}`;
  }
}

/** A forwarded call's far side, as the caller's call sees it: audio and keys to it, the room's audio from it. */
export class Hop {
  private readonly frames = new FrameCutter();

  constructor(
    private readonly call: SipClientCall,
    private readonly leg: RtpLeg,
  ) {}

  /**
   * The room's audio for the caller, a 20 ms frame at a time as the other node mixes it (paced by its clock, so
   * nothing to cushion here): relayed at once, as a border controller relays media, rather than queued for this
   * node's own clock, which added 40 ms.
   */
  onAudio(relay: (samples: Int16Array) => void): void {
    this.leg.on('audio', relay);
  }

  /** The other node hung up (the session ended, the seat was taken, the caller was removed). */
  onEnded(ended: () => void): void {
    this.call.once('ended', ended);
  }

  /** When the other node last sent anything: it sends a frame every 20 ms while the call is up. */
  get lastPacketAt(): number {
    return this.leg.lastPacketAt;
  }

  send(samples: Int16Array): void {
    this.frames.cut(samples, (frame) => this.leg.send(frame));
  }

  key(key: string): void {
    this.leg.sendKey(key);
  }

  /** The caller hung up: so does the hop (the seat is left on the other node, as for any caller's BYE). */
  hangUp(): void {
    this.call.hangUp();
    this.leg.close();
  }

  /** The caller's line went dead: the hop falls silent, so the other node holds the seat as for a dead line. */
  fallSilent(): void {
    this.leg.close();
  }
}
