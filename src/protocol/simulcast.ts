/**
 * The camera's simulcast layers, smallest first: the SDK sends all three and the SFU gives each receiver the ones
 * its downlink and its tiles need.
 */
export const SIMULCAST_LAYERS = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
] as const;
