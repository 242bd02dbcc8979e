/** An RTP packet's fields the bridge uses (RFC 3550 §5.1); CSRCs, header extensions and padding are skipped. */
export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** Undefined for anything that is not a well-formed RTP version 2 packet (garbage on a media port is dropped). */
export function parseRtp(packet: Buffer): RtpPacket | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const csrcCount = packet[0]! & 0x0f;
  let offset = 12 + csrcCount * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[packet.length - 1]!;
  if (end < offset) return undefined;
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payload: packet.subarray(offset, end),
  };
}

/** The header extension id the bridge gives the audio level (RFC 6464) in the producers it sends into the room. */
export const AUDIO_LEVEL_EXTENSION_ID = 1;

/**
 * `audioLevel` (RFC 6464: 0 loudest … 127 silence, -dBov) goes in a one-byte header extension (RFC 8285), as browsers
 * send it: the SFU's active-speaker observer reads it, so a caller can be the one highlighted.
 */
export function buildRtp(header: Omit<RtpPacket, 'payload'>, payload: Uint8Array, audioLevel?: number): Buffer {
  const extension = audioLevel === undefined ? 0 : 8;
  const packet = Buffer.allocUnsafe(12 + extension + payload.length);
  packet[0] = extension ? 0x90 : 0x80;
  packet[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  packet.writeUInt16BE(header.sequenceNumber & 0xffff, 2);
  packet.writeUInt32BE(header.timestamp >>> 0, 4);
  packet.writeUInt32BE(header.ssrc >>> 0, 8);
  if (audioLevel !== undefined) {
    packet.writeUInt16BE(0xbede, 12); // one-byte header extensions
    packet.writeUInt16BE(1, 14); // one 32-bit word of them
    packet[16] = (AUDIO_LEVEL_EXTENSION_ID << 4) | 0; // id, length - 1 = 0
    packet[17] = (audioLevel < 127 ? 0x80 : 0) | (audioLevel & 0x7f); // the voice-activity bit, the level
    packet.fill(0, 18, 20); // padding to the word
  }
  packet.set(payload, 12 + extension);
  return packet;
}

/** A stream's outgoing sequence and timestamp, advanced per packet. */
export class RtpSequence {
  private sequenceNumber = Math.floor(Math.random() * 0x10000);
  private timestamp = Math.floor(Math.random() * 0x100000000);
  private first = true;

  constructor(
    readonly ssrc: number,
    readonly payloadType: number,
  ) {}

  /** An RFC 4733 event packet of the stream: the next sequence number, at the timestamp the next frame will carry. */
  event(payloadType: number, payload: Uint8Array, start: boolean): Buffer {
    const packet = buildRtp({ payloadType, marker: start, sequenceNumber: this.sequenceNumber, timestamp: this.timestamp, ssrc: this.ssrc }, payload);
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    return packet;
  }

  /** The next packet, `samples` (in the stream's clock) after the previous one. */
  next(payload: Uint8Array, samples: number, audioLevel?: number): Buffer {
    const packet = buildRtp(
      { payloadType: this.payloadType, marker: this.first, sequenceNumber: this.sequenceNumber, timestamp: this.timestamp, ssrc: this.ssrc },
      payload,
      audioLevel,
    );
    this.first = false;
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.timestamp = (this.timestamp + samples) >>> 0;
    return packet;
  }
}
