import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { ProtectionProfileAes128CmHmacSha1_80, RtpPacket, SrtpSession } from 'werift-rtp';
import { decodeG711, encodeG711, FRAME_SAMPLES, SAMPLE_RATE } from './phone-audio.js';
import { parseRtp, RtpSequence } from './rtp-packet.js';
import type { AgreedMedia, SrtpKeys } from './sdp-answer.js';
import { keyPressPayloads, TelephoneEvents } from './telephone-events.js';

type LegEvents = {
  /** Caller audio, decoded (any packet length). */
  audio: [samples: Int16Array];
  key: [key: string];
};

/** What the caller's stream looked like since the last reading: for the jitter and loss metrics. */
export interface LegStats {
  jitterSeconds: number;
  expected: number;
  /** Counted as they come, whatever their sequence numbers say (a recording replayed in a loop repeats them). */
  received: number;
  lost: number;
}

/** Each direction's SRTP (werift-rtp's: AES-CM-128 with HMAC-SHA1-80, RFC 3711), from the keys the SDP exchanged. */
function srtpSession({ local, remote }: SrtpKeys): SrtpSession {
  return new SrtpSession({
    keys: { localMasterKey: local.subarray(0, 16), localMasterSalt: local.subarray(16), remoteMasterKey: remote.subarray(0, 16), remoteMasterSalt: remote.subarray(16) },
    profile: ProtectionProfileAes128CmHmacSha1_80,
  });
}

/**
 * The phone side of one call: a UDP port of its own, G.711 in both directions, RFC 4733 keys in, encrypted (SRTP)
 * when the call's SDP said so. Packets are taken only from the caller's addresses (its SDP's and its signaling's),
 * so nobody else can speak into a call; under SRTP only packets that authenticate are.
 */
export class RtpLeg extends EventEmitter<LegEvents> {
  private readonly events = new TelephoneEvents();
  private readonly outgoing: RtpSequence;
  lastPacketAt = Date.now();
  // RFC 3550 A.8 interarrival jitter (in timestamp units) and A.3 loss accounting.
  private jitter = 0;
  private lastTransit: number | undefined;
  private highestSequence: number | undefined;
  private received = 0;
  private expectedAtReading = 0;
  private receivedAtReading = 0;
  private baseSequence = 0;
  private cycles = 0;
  private srtp: SrtpSession | undefined;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private agreed: AgreedMedia,
    private readonly allowedHosts: Set<string>,
  ) {
    super();
    this.outgoing = new RtpSequence(Math.floor(Math.random() * 0xffffffff), agreed.payloadType);
    this.srtp = agreed.srtp && srtpSession(agreed.srtp);
    socket.on('message', (packet, from) => this.receive(packet, from.address));
    socket.on('error', () => undefined); // an ICMP unreachable on a send: the RTP timeout decides about the call
  }

  /** Binds a free port in [min, max] on `host`. */
  static async open(host: string, range: [number, number], agreed: AgreedMedia, callerHosts: string[]): Promise<RtpLeg> {
    const [min, max] = range;
    const span = max - min + 1;
    const start = Math.floor(Math.random() * span);
    for (let attempt = 0; attempt < Math.min(span, 50); attempt += 1) {
      const port = min + ((start + attempt) % span);
      const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const bound = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(port, host, () => resolve(true));
      });
      if (bound) return new RtpLeg(socket, agreed, new Set(callerHosts));
      socket.close();
    }
    throw new Error('no free RTP port in phone.rtpPortMin..rtpPortMax');
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** A re-INVITE may move the caller's media (a transfer at the carrier, a new address). */
  update(agreed: AgreedMedia): void {
    const before = this.agreed.srtp;
    // Circle's SRTP key stays for the whole call (a new one mid-call would restart the caller's count of sequence
    // rollovers against ours): the answer repeats it. The streams' state is kept unless the caller's key changed.
    if (agreed.srtp && before) agreed.srtp.local = before.local;
    const sameKeys = Boolean(before && agreed.srtp?.remote.equals(before.remote));
    this.agreed = agreed;
    if (!sameKeys) this.srtp = agreed.srtp && srtpSession(agreed.srtp);
    this.allowedHosts.add(agreed.remoteAddress);
  }

  /** One 20 ms frame to the caller: always sent, silence included, so no carrier hangs up on a quiet room. */
  send(samples: Int16Array): void {
    const packet = this.outgoing.next(encodeG711(this.agreed.codec, samples), FRAME_SAMPLES);
    this.socket.send(this.protect(packet), this.agreed.remotePort, this.agreed.remoteAddress);
  }

  /** A key press towards the other end, as RFC 4733 events (nothing where its SDP offered none). */
  sendKey(key: string): void {
    const type = this.agreed.telephoneEventType;
    if (type === undefined) return;
    keyPressPayloads(key).forEach((payload, index) => {
      this.socket.send(this.protect(this.outgoing.event(type, payload, index === 0)), this.agreed.remotePort, this.agreed.remoteAddress);
    });
  }

  /** Jitter now, and packets expected and lost since the previous reading. */
  readStats(): LegStats {
    const expectedTotal = this.highestSequence === undefined ? 0 : this.cycles + this.highestSequence - this.baseSequence + 1;
    const expected = expectedTotal - this.expectedAtReading;
    const received = this.received - this.receivedAtReading;
    this.expectedAtReading = expectedTotal;
    this.receivedAtReading = this.received;
    return { jitterSeconds: this.jitter / SAMPLE_RATE, expected, received, lost: Math.max(0, expected - received) };
  }

  /** Idempotent: a call's end can reach its leg by more than one path (a dead line, then the hang-up it causes). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.removeAllListeners();
    this.socket.close();
  }

  private protect(packet: Buffer): Buffer {
    if (!this.srtp) return packet;
    const { header, payload } = RtpPacket.deSerialize(packet);
    return this.srtp.encrypt(payload, header);
  }

  /** The packet in clear; undefined for one that does not authenticate (forged, replayed with other keys, garbage). */
  private unprotect(data: Buffer): Buffer | undefined {
    if (!this.srtp) return data;
    try {
      return this.srtp.decrypt(data);
    } catch {
      return undefined;
    }
  }

  private receive(data: Buffer, fromHost: string): void {
    if (!this.allowedHosts.has(fromHost)) return;
    const clear = this.unprotect(data);
    const packet = clear && parseRtp(clear);
    if (!packet) return;
    this.lastPacketAt = Date.now();
    if (packet.payloadType === this.agreed.telephoneEventType) {
      const key = this.events.accept(packet.payload, packet.timestamp);
      if (key) this.emit('key', key);
      return;
    }
    if (packet.payloadType !== this.agreed.payloadType) return;
    this.account(packet.sequenceNumber, packet.timestamp);
    this.emit('audio', decodeG711(this.agreed.codec, packet.payload));
  }

  private account(sequence: number, timestamp: number): void {
    this.received += 1;
    if (this.highestSequence === undefined) {
      this.highestSequence = sequence;
      this.baseSequence = sequence;
    } else if (((sequence - this.highestSequence) & 0xffff) < 0x8000) {
      if (sequence < this.highestSequence) this.cycles += 0x10000;
      this.highestSequence = sequence;
    }
    const transit = (Date.now() * SAMPLE_RATE) / 1000 - timestamp;
    if (this.lastTransit !== undefined) this.jitter += (Math.abs(transit - this.lastTransit) - this.jitter) / 16;
    this.lastTransit = transit;
  }
}
