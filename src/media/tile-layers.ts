import { SIMULCAST_LAYERS } from '../protocol/simulcast.js';
import type { VideoSize } from '../protocol/video-views.js';

/**
 * A layer drawn at up to this many times its own size still fills a tile: a quarter's enlargement is lost in a
 * camera picture's own softness, and holding the next layer (four times the pixels) for it would cost a weak link
 * the most.
 */
export const UPSCALE_TOLERANCE = 1.25;

/** A sender that declared no camera size (an SDK older than the declaration) is taken for a 720p camera. */
export const ASSUMED_CAMERA: VideoSize = { width: 1280, height: 720 };

const LAYER_SCALES: readonly number[] = SIMULCAST_LAYERS.map((layer) => layer.scaleResolutionDownBy);

/**
 * The smallest spatial layer (0 = smallest) that fills a tile of `tile` device pixels, drawn as the web app draws
 * video (`object-fit: cover`: scaled until it covers both sides, the overflow cropped). A tile larger than the camera
 * itself gets the top layer: there is nothing larger.
 */
export function layerForTile(tile: VideoSize, camera: VideoSize = ASSUMED_CAMERA, scales: readonly number[] = LAYER_SCALES): number {
  // The share of the camera's full size the tile shows, pixel for pixel.
  const needed = Math.max(tile.width / camera.width, tile.height / camera.height);
  const layer = scales.findIndex((scaleDownBy) => UPSCALE_TOLERANCE / scaleDownBy >= needed);
  return layer === -1 ? scales.length - 1 : layer;
}

/** Where a sender stands for a receiver whose downlink cannot carry every tile. */
export interface SenderStanding {
  /** The space's active speaker, or the floor holder. */
  speaking: boolean;
  /** A facilitator or co-facilitator. */
  staff: boolean;
  /** Among everyone else, 0 for whoever spoke last, 1 for the one before, and so on (never spoken: after all). */
  recency: number;
}

/** Priorities in mediasoup's range (1–255): a higher one gets the downlink's bandwidth first, the lowest is dropped first. */
export const SPEAKER_PRIORITY = 255;
export const STAFF_PRIORITY = 200;
const OTHERS_TOP_PRIORITY = 100;

/**
 * A sender's video priority under a receiver's budget. mediasoup hands out the estimate in two passes: first the
 * smallest layer of each video, highest priority first, until it runs out (the rest get nothing: dropped); then what
 * is left, more steps to higher priorities. So the speaker and the staff are seen first and larger, everyone else at
 * the smallest layer, and under a budget too small for all, those who spoke longest ago go first.
 */
export function videoPriority({ speaking, staff, recency }: SenderStanding): number {
  if (speaking) return SPEAKER_PRIORITY;
  if (staff) return STAFF_PRIORITY;
  return Math.max(1, OTHERS_TOP_PRIORITY - recency);
}
