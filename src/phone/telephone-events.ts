/** RFC 4733 §3.2: events 0–15 are the keys of a telephone keypad. */
const KEYS = '0123456789*#ABCD';

/**
 * Turns RFC 4733 telephone-event packets into key presses. A press is sent as many packets with one RTP timestamp
 * (its start) and a growing duration, the last three marked as the end: a new timestamp, or the same one with the
 * duration starting over (a recording replayed), is a new press, reported on its first packet, so a lost end
 * packet loses nothing and repeats are not counted twice.
 */
export class TelephoneEvents {
  private lastTimestamp: number | undefined;
  private lastDuration = 0;

  /** The key pressed, once per press; undefined for repeats and anything that is not a keypad event. */
  accept(payload: Buffer, timestamp: number): string | undefined {
    if (payload.length < 4) return undefined;
    const key = KEYS[payload[0]!];
    const duration = payload.readUInt16BE(2);
    const samePress = timestamp === this.lastTimestamp && duration >= this.lastDuration;
    this.lastTimestamp = timestamp;
    this.lastDuration = duration;
    return key === undefined || samePress ? undefined : key;
  }
}

/** A key press carried by SIP INFO (`application/dtmf-relay`'s `Signal=5`, or `application/dtmf`'s bare key). */
export function keyFromInfo(contentType: string, body: string): string | undefined {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const text = type === 'application/dtmf-relay' ? /^\s*signal\s*=\s*(\S+)/im.exec(body)?.[1] : type === 'application/dtmf' ? body.trim() : undefined;
  if (!text) return undefined;
  const key = text === '10' ? '*' : text === '11' ? '#' : text.toUpperCase();
  return key.length === 1 && KEYS.includes(key) ? key : undefined;
}

/**
 * The RFC 4733 payloads of one key press, as a phone sends it: the press growing in duration, then the end three
 * times (a lost end packet loses nothing). All carry the press's start as their RTP timestamp.
 */
export function keyPressPayloads(key: string): Buffer[] {
  const event = KEYS.indexOf(key);
  if (event < 0) return [];
  const payload = (duration: number, end: boolean) => Buffer.from([event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
  return [payload(160, false), payload(320, false), payload(480, false), payload(640, true), payload(640, true), payload(640, true)];
}
