/**
 * How a page draws one remote video: its size in device pixels and whether anyone can see it (on screen, the tab
 * shown, the window not minimised). The SFU sends each video the smallest simulcast layer that fills its tile, and
 * nothing while it is hidden. The SDK tells the server of changes (`setVideoViews`), a quarter of a second after
 * they settle.
 */
export interface VideoView {
  consumerId: string;
  width: number;
  height: number;
  visible: boolean;
}

/** The most views one `setVideoViews` carries: every video of a full room. */
export const MAX_VIDEO_VIEWS = 200;

/** The largest tile side accepted, in device pixels (an 8K screen). */
export const MAX_TILE_SIDE = 8192;

/** A camera's size as it is sent (the top simulcast layer), declared with `produce`. */
export interface VideoSize {
  width: number;
  height: number;
}
