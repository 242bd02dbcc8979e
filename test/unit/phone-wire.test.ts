// The phone bridge's wire pieces on their own: RTP packets, RFC 4733 key presses, SIP INFO keys, SDP offers and
// answers, and the per-voice sample queue the mixer reads.
import { expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { audioLevel, SampleQueue } from '../../src/phone/phone-audio.js';
import { buildRtp, parseRtp, RtpSequence } from '../../src/phone/rtp-packet.js';
import { OfferRefused, readOffer, writeAnswer } from '../../src/phone/sdp-answer.js';
import { keyFromInfo, TelephoneEvents } from '../../src/phone/telephone-events.js';

const offer = (lines: string[]) => ['v=0', 'o=- 1 1 IN IP4 192.0.2.7', 's=-', 'c=IN IP4 192.0.2.7', 't=0 0', ...lines, ''].join('\r\n');

it('reads and writes RTP, skipping CSRCs, a header extension and padding', () => {
  const packet = buildRtp({ payloadType: 0, marker: true, sequenceNumber: 65535, timestamp: 4294967295, ssrc: 42 }, Buffer.from([1, 2, 3]));
  expect(parseRtp(packet)).toMatchObject({ payloadType: 0, marker: true, sequenceNumber: 65535, timestamp: 4294967295, ssrc: 42, payload: Buffer.from([1, 2, 3]) });
  // One CSRC, a one-word extension, two bytes of padding.
  const fancy = Buffer.concat([Buffer.from([0xb1, 8, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7]), Buffer.alloc(4, 9), Buffer.from([0xbe, 0xde, 0, 1]), Buffer.alloc(4), Buffer.from([5, 6, 0, 2])]);
  expect(parseRtp(fancy)?.payload).toEqual(Buffer.from([5, 6]));
  expect(parseRtp(Buffer.from('not rtp at all'))).toBeUndefined();
  expect(parseRtp(Buffer.alloc(5))).toBeUndefined();
  const sequence = new RtpSequence(7, 0);
  const [first, second] = [sequence.next(Buffer.alloc(160), 160), sequence.next(Buffer.alloc(160), 160)].map((p) => parseRtp(p)!);
  expect(first!.marker).toBe(true);
  expect(second!.marker).toBe(false);
  expect((second!.sequenceNumber - first!.sequenceNumber) & 0xffff).toBe(1);
  expect((second!.timestamp - first!.timestamp) >>> 0).toBe(160);
});

it('writes the audio level (RFC 6464) as browsers do, in a one-byte header extension the parser skips', () => {
  const tone = Int16Array.from({ length: 160 }, (_, i) => Math.round(16384 * Math.sin((2 * Math.PI * 400 * i) / 8000)));
  // A sine at half scale: RMS 0.354 of full scale, -9 dBov.
  expect(audioLevel(tone)).toBe(9);
  expect(audioLevel(new Int16Array(160))).toBe(127);
  const packet = new RtpSequence(7, 0).next(Buffer.from([1, 2]), 160, audioLevel(tone));
  expect([...packet.subarray(12, 18)]).toEqual([0xbe, 0xde, 0, 1, 0x10, 0x80 | 9]);
  expect(packet[0]! & 0x10).toBe(0x10);
  expect(parseRtp(packet)?.payload).toEqual(Buffer.from([1, 2]));
  expect(new RtpSequence(7, 0).next(Buffer.from([1, 2]), 160, 127)[17]).toBe(127); // silence: no voice bit
});

it('counts each RFC 4733 press once: repeats and end packets are not presses, the same key again is', () => {
  const events = new TelephoneEvents();
  const packet = (key: number, end: boolean, duration: number) => Buffer.from([key, end ? 0x8a : 0x0a, duration >> 8, duration & 0xff]);
  const keys = [
    events.accept(packet(5, false, 160), 1000),
    events.accept(packet(5, false, 320), 1000),
    events.accept(packet(5, true, 640), 1000),
    events.accept(packet(5, true, 640), 1000),
    events.accept(packet(5, false, 0), 1000), // a recording replayed: the duration starts over
    events.accept(packet(11, false, 160), 2000),
    events.accept(packet(16, false, 160), 3000), // a flash: not a key
  ];
  expect(keys).toEqual(['5', undefined, undefined, undefined, '5', '#', undefined]);
  expect(keyFromInfo('application/dtmf-relay', 'Signal=7\r\nDuration=160\r\n')).toBe('7');
  expect(keyFromInfo('application/dtmf-relay; charset=x', 'Signal= 11\r\n')).toBe('#');
  expect(keyFromInfo('application/dtmf', '*')).toBe('*');
  expect(keyFromInfo('text/plain', '1')).toBeUndefined();
  expect(keyFromInfo('application/dtmf-relay', 'Signal=99')).toBeUndefined();
});

it('takes SDES-SRTP (AES_CM_128_HMAC_SHA1_80) only over TLS, answers with a key of its own, and refuses what it cannot use', () => {
  const key = Buffer.alloc(30, 7).toString('base64');
  const srtpOffer = (crypto: string[]) => offer(['m=audio 4000 RTP/SAVP 0', ...crypto]);
  const agreed = readOffer(srtpOffer([`a=crypto:2 AES_CM_32 inline:${key}`, `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^20`]), true);
  expect(agreed.srtp).toMatchObject({ tag: 3, remote: Buffer.alloc(30, 7) });
  expect(agreed.srtp!.local).toHaveLength(30);
  expect(agreed.srtp!.local.equals(agreed.srtp!.remote)).toBe(false);
  const media = parse(writeAnswer(agreed, '192.0.2.1', 5000, 1)).media[0]!;
  expect(media.protocol).toBe('RTP/SAVP');
  expect(media.crypto).toEqual([{ id: 3, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${agreed.srtp!.local.toString('base64')}` }]);
  // Keys in SDP over UDP or TCP cross the network in clear.
  expect(() => readOffer(srtpOffer([`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}`]), false)).toThrow(OfferRefused);
  // A master key index, a short key, another suite: nothing Circle can use.
  expect(() => readOffer(srtpOffer([`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^20|1:4`]), true)).toThrow(OfferRefused);
  expect(() => readOffer(srtpOffer([`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(16).toString('base64')}`]), true)).toThrow(OfferRefused);
  expect(() => readOffer(srtpOffer([`a=crypto:1 AEAD_AES_256_GCM inline:${key}`]), true)).toThrow(OfferRefused);
  // Plain RTP over TLS stays plain.
  expect(readOffer(offer(['m=audio 4000 RTP/AVP 0']), true).srtp).toBeUndefined();
});

it('takes the caller’s first G.711 codec and 8 kHz telephone-events, and answers with only those', () => {
  const agreed = readOffer(offer(['m=audio 4000 RTP/AVP 18 8 0 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000', 'a=ptime:30']));
  expect(agreed).toEqual({ codec: 'PCMA', payloadType: 8, telephoneEventType: 101, remoteAddress: '192.0.2.7', remotePort: 4000, packetMs: 30 });
  const answer = parse(writeAnswer(agreed, '198.51.100.1', 40002, 3));
  expect(answer.media[0]).toMatchObject({ port: 40002, protocol: 'RTP/AVP', payloads: '8 101', direction: 'sendrecv' });
  expect(answer.connection?.ip).toBe('198.51.100.1');
  expect(readOffer(offer(['m=audio 4000 RTP/AVP 0'])).telephoneEventType).toBeUndefined();
  expect(() => readOffer(offer(['m=audio 4000 RTP/AVP 18', 'a=rtpmap:18 G729/8000']))).toThrow(OfferRefused);
  expect(() => readOffer(offer(['m=audio 4000 RTP/SAVP 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x']))).toThrow(OfferRefused);
  expect(() => readOffer(offer(['m=video 4000 RTP/AVP 96']))).toThrow(OfferRefused);
  expect(() => readOffer('garbage')).toThrow(OfferRefused);
});

it('a voice plays once it holds its cushion, again after running dry, and never holds more than its limit', () => {
  const queue = new SampleQueue(4, 8);
  const mix = () => {
    const into = new Int32Array(3);
    const played = queue.mixInto(into);
    return played ? [...into] : null;
  };
  queue.push(Int16Array.from([1, 2, 3]));
  expect(mix()).toBeNull(); // below the cushion
  queue.push(Int16Array.from([4, 5]));
  expect(mix()).toEqual([1, 2, 3]);
  expect(mix()).toEqual([4, 5, 0]); // ran dry: waits for the cushion again
  queue.push(Int16Array.from([6]));
  expect(mix()).toBeNull();
  queue.push(Int16Array.from([7, 8, 9, 10, 11, 12, 13, 14, 15]));
  expect(queue.size).toBe(8); // the oldest went
  expect(mix()).toEqual([8, 9, 10]);
});
