import { randomBytes } from 'node:crypto';
import { parse, write } from 'sdp-transform';

export type G711 = 'PCMU' | 'PCMA';

/** What both ends agreed on for the call's audio. */
export interface AgreedMedia {
  codec: G711;
  payloadType: number;
  /** RFC 4733 events' payload type, when the caller offered them (else keys come by SIP INFO). */
  telephoneEventType: number | undefined;
  /** Where the caller receives RTP. */
  remoteAddress: string;
  remotePort: number;
  /** Milliseconds of audio per packet the caller asked for (20 unless it said otherwise). */
  packetMs: number;
  /** SRTP (SDES, RFC 4568) when the caller offered it: each side's master key and salt, and the crypto line's tag. */
  srtp?: SrtpKeys;
}

/** The one SRTP suite Circle takes: every SRTP trunk offers it (RFC 4568 §6.2.1's mandatory one). */
export const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';

export interface SrtpKeys {
  tag: number;
  /** Key (16 bytes) then salt (14 bytes), as the `inline:` parameter carries them. */
  remote: Buffer;
  local: Buffer;
}

export class OfferRefused extends Error {}

const STATIC_TYPES: Record<number, G711> = { 0: 'PCMU', 8: 'PCMA' };

/**
 * Reads a caller's SDP offer: the first G.711 codec it lists (its preference), telephone-events at 8 kHz, where to
 * send, and for RTP/SAVP the SRTP key (a fresh one of Circle's is made for the answer). SRTP is taken only over a
 * `secure` (TLS) signaling flow: SDES keys sent in clear protect nothing. Refuses an offer with none of these.
 */
export function readOffer(sdp: string, secure = false): AgreedMedia {
  let session;
  try {
    session = parse(sdp);
  } catch {
    throw new OfferRefused('unreadable SDP');
  }
  const audio = session.media?.find((m) => m.type === 'audio' && m.port > 0);
  if (!audio) throw new OfferRefused('no audio stream offered');
  if (!/^RTP\/S?AVP$/i.test(audio.protocol)) throw new OfferRefused(`transport ${audio.protocol} is not supported`);
  const srtp = /^RTP\/SAVP$/i.test(audio.protocol) ? srtpKeysOf(audio.crypto ?? [], secure) : undefined;
  const address = audio.connection?.ip ?? session.connection?.ip;
  if (!address || address === '0.0.0.0') throw new OfferRefused('no connection address');
  const offered = String(audio.payloads ?? '').split(/\s+/).filter(Boolean).map(Number);
  const rtpmap = new Map((audio.rtp ?? []).map((r) => [r.payload, r]));
  const nameOf = (type: number): string | undefined => rtpmap.get(type)?.codec.toUpperCase() ?? STATIC_TYPES[type];
  const payloadType = offered.find((type) => nameOf(type) === 'PCMU' || nameOf(type) === 'PCMA');
  if (payloadType === undefined) throw new OfferRefused('no G.711 (PCMU or PCMA) offered');
  const telephoneEventType = offered.find((type) => {
    const map = rtpmap.get(type);
    return map?.codec.toLowerCase() === 'telephone-event' && map.rate === 8000;
  });
  const ptime = Number(audio.ptime ?? 20);
  return {
    codec: nameOf(payloadType) as G711,
    payloadType,
    telephoneEventType,
    remoteAddress: address,
    remotePort: audio.port,
    packetMs: [10, 20, 30, 40].includes(ptime) ? ptime : 20,
    ...(srtp ? { srtp } : {}),
  };
}

function srtpKeysOf(lines: { id: number; suite: string; config: string }[], secure: boolean): SrtpKeys {
  if (!secure) throw new OfferRefused('SRTP keys offered over unencrypted signaling');
  for (const line of lines) {
    // inline:<base64 of key and salt>[|lifetime][|MKI:length]: a master key index (the part with a colon) is not supported.
    const [key, ...rest] = (line.config.split(/\s+/)[0] ?? '').split('|');
    const remote = /^inline:[A-Za-z0-9+/]+={0,2}$/.test(key ?? '') ? Buffer.from(key!.slice('inline:'.length), 'base64') : undefined;
    if (line.suite === SRTP_SUITE && remote?.length === 30 && !rest.some((part) => part.includes(':'))) return { tag: line.id, remote, local: randomBytes(30) };
  }
  throw new OfferRefused(`no ${SRTP_SUITE} key offered`);
}

/** Circle's answer: the agreed codec and events only, at `address`:`port`, sending and receiving. */
export function writeAnswer(agreed: AgreedMedia, address: string, port: number, sessionVersion: number): string {
  const family = address.includes(':') ? 6 : 4;
  const rtp: { payload: number; codec: string; rate: number }[] = [{ payload: agreed.payloadType, codec: agreed.codec, rate: 8000 }];
  const payloads = [agreed.payloadType];
  const fmtp = [];
  if (agreed.telephoneEventType !== undefined) {
    rtp.push({ payload: agreed.telephoneEventType, codec: 'telephone-event', rate: 8000 });
    payloads.push(agreed.telephoneEventType);
    fmtp.push({ payload: agreed.telephoneEventType, config: '0-15' });
  }
  return write({
    version: 0,
    origin: { username: 'circle', sessionId: 1, sessionVersion, netType: 'IN', ipVer: family, address },
    name: 'Circle',
    connection: { version: family, ip: address },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port,
        protocol: agreed.srtp ? 'RTP/SAVP' : 'RTP/AVP',
        payloads: payloads.join(' '),
        rtp,
        fmtp,
        ...(agreed.srtp ? { crypto: [{ id: agreed.srtp.tag, suite: SRTP_SUITE, config: `inline:${agreed.srtp.local.toString('base64')}` }] } : {}),
        ptime: 20,
        direction: 'sendrecv',
      },
    ],
  });
}
