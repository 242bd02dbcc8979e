import type { types } from 'mediasoup';

/**
 * Opus with in-band FEC and DTX: FEC hides the packet loss of a weak Wi-Fi link in the voice, which is the
 * therapeutic content; DTX saves uplink while a client listens, which is most of a group session.
 * VP8 because every browser simulcasts it; the SDK sends three layers.
 */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1, usedtx: 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 600 },
  },
];
