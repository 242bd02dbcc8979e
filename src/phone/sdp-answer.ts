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
}

export class OfferRefused extends Error {}

const STATIC_TYPES: Record<number, G711> = { 0: 'PCMU', 8: 'PCMA' };

/**
 * Reads a caller's SDP offer: the first G.711 codec it lists (its preference), telephone-events at 8 kHz, where to
 * send. Refuses an offer with no plain-RTP G.711 audio (encrypted-only offers among them: SDES-SRTP is not built).
 */
export function readOffer(sdp: string): AgreedMedia {
  let session;
  try {
    session = parse(sdp);
  } catch {
    throw new OfferRefused('unreadable SDP');
  }
  const audio = session.media?.find((m) => m.type === 'audio' && m.port > 0);
  if (!audio) throw new OfferRefused('no audio stream offered');
  if (!/^RTP\/AVP$/i.test(audio.protocol)) throw new OfferRefused(`transport ${audio.protocol} is not supported`);
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
  };
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
        protocol: 'RTP/AVP',
        payloads: payloads.join(' '),
        rtp,
        fmtp,
        ptime: 20,
        direction: 'sendrecv',
      },
    ],
  });
}
