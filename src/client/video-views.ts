import { MAX_TILE_SIDE, MAX_VIDEO_VIEWS, type VideoView } from '../protocol/video-views.js';

/** Changes are told once they settle: a window being dragged larger sends one message, not sixty. */
const SETTLE_MS = 250;

const sameView = (a: VideoView | undefined, b: VideoView) => a?.width === b.width && a.height === b.height && a.visible === b.visible;
const side = (cssPixels: number) => Math.min(MAX_TILE_SIDE, Math.round(cssPixels * (globalThis.devicePixelRatio || 1)));

/**
 * Tells the server how the page draws each remote video: the size of its element in device pixels and whether it
 * can be seen (in the viewport, of non-zero size, the tab shown and the window not minimised). The server then sends
 * the smallest layer that fills it, and nothing while it cannot be seen. Only changes are sent, after they settle.
 */
export class VideoViews {
  /** The element each consumer is drawn in. */
  private readonly elements = new Map<string, Element>();
  /** Whether each element is in the viewport, as the intersection observer last said while the page was shown. */
  private readonly onScreen = new Map<Element, boolean>();
  /** What the server was last told of each consumer. */
  private readonly told = new Map<string, VideoView>();
  private readonly resizes: ResizeObserver;
  private readonly intersections: IntersectionObserver;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly tell: (views: VideoView[]) => Promise<void>) {
    this.resizes = new ResizeObserver(() => this.changed());
    this.intersections = new IntersectionObserver((entries) => {
      for (const entry of entries) this.onScreen.set(entry.target, entry.isIntersecting);
      this.changed();
    });
    document.addEventListener('visibilitychange', () => {
      // What the observer said while the page was hidden (a minimised window has no viewport) is stale once shown;
      // it reports again with the next rendered frame.
      if (document.visibilityState === 'visible') this.onScreen.clear();
      this.changed();
    });
  }

  /** Follows `element` as the place `consumerId`'s video is drawn (a new element replaces the old one). */
  watch(consumerId: string, element: Element): void {
    const previous = this.elements.get(consumerId);
    if (previous === element) return;
    this.elements.set(consumerId, element);
    if (previous) this.release(previous);
    this.resizes.observe(element);
    this.intersections.observe(element);
    this.changed();
  }

  /** The consumer is gone: nothing more to tell of it. */
  forget(consumerId: string): void {
    const element = this.elements.get(consumerId);
    this.elements.delete(consumerId);
    this.told.delete(consumerId);
    if (element) this.release(element);
  }

  private release(element: Element): void {
    if ([...this.elements.values()].includes(element)) return; // another consumer is drawn there too
    this.onScreen.delete(element);
    this.resizes.unobserve(element);
    this.intersections.unobserve(element);
  }

  private readonly changed = (): void => {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, SETTLE_MS);
  };

  private async flush(): Promise<void> {
    const shown = document.visibilityState === 'visible';
    const views: VideoView[] = [];
    for (const [consumerId, element] of this.elements) {
      const { width, height } = element.getBoundingClientRect();
      // Until the intersection observer first reports (it waits for a rendered frame), the element counts as on screen.
      const view = { consumerId, width: side(width), height: side(height), visible: shown && this.onScreen.get(element) !== false };
      if (!sameView(this.told.get(consumerId), view)) views.push(view);
    }
    for (let start = 0; start < views.length; start += MAX_VIDEO_VIEWS) {
      const batch = views.slice(start, start + MAX_VIDEO_VIEWS);
      for (const view of batch) this.told.set(view.consumerId, view);
      // Not told (a reconnect under way): told again at the next change, or the server keeps its top-layer default.
      await this.tell(batch).catch(() => batch.forEach((view) => this.told.delete(view.consumerId)));
    }
  }
}
