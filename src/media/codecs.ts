import type { types } from 'mediasoup';

/**
 * Opus with in-band FEC and DTX: FEC hides the packet loss of a weak Wi-Fi link in the voice, which is the
 * therapeutic content; DTX saves uplink while a client listens, which is most of a group session.
 * G.711 for phone callers (below). VP8 because every browser simulcasts it; the SDK sends three layers.
 */
export const MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1, usedtx: 1 },
  },
  // Phone callers' voices, forwarded as the telephone network carries them: no transcoding on the way in (an Opus
  // encoder per caller cost more CPU than everything else the bridge does), and every browser decodes G.711.
  { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000, channels: 1 },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 600 },
  },
];
