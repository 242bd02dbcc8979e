import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import { KeyedBuckets } from '../limits/keyed-buckets.js';
import { MEDIA_CODECS } from '../media/codecs.js';
import { ParticipantMedia, type TransportSettings } from '../media/participant-media.js';
import type { MediaWorker, WorkerPool } from '../media/worker-pool.js';
import { CircleError } from '../protocol/errors.js';
import type { CheckStarted, ConsumerInfo } from '../protocol/events.js';
import type { ReceivePolicy } from '../media/receiving.js';

/** A check's echo comes back whole: every layer, no views, no one else's priority to weigh. */
const CHECK_RECEIVES: ReceivePolicy = { videoLayers: () => 3, followViews: false, startsSmall: false, priorityOf: () => 1 };

export interface CheckSettings {
  /** Checks open at once on this node; past it a new one is refused (a flood of checks cannot take the SFU). */
  maxConcurrent: number;
  /** Checks one client address may start per minute (a burst of as many). */
  perAddressPerMinute: number;
  /** A check closes by itself after this long, finished or not. */
  lifetimeMs: number;
}

/** How a request for a check ended: opened, or refused because the node or the address had too many. */
export const CHECK_OUTCOMES = ['started', 'refused-node', 'refused-address'] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

/** What the node answers of a check it opened; the signaling adds the relay and the dial-in number. */
export type CheckOpened = Omit<CheckStarted, 'iceServers' | 'dialInNumber'>;

/**
 * One pre-session connection test: a router of its own that belongs to no room (no one else is in it and it sees no
 * one), a send and a receive transport through the node's real media ports, and the client's own test streams sent
 * back to it, so the browser measures the whole path as a session would use it: round trip, loss both ways, what
 * its uplink carries and what comes down. Closed when the client says, when its connection goes, or after its lifetime.
 */
export class ConnectionCheck {
  readonly id = `check-${randomUUID()}`;
  private readonly timer: NodeJS.Timeout;
  private readonly closeListeners: (() => void)[] = [];
  private closed = false;

  constructor(
    readonly worker: MediaWorker,
    readonly router: types.Router,
    readonly media: ParticipantMedia,
    lifetimeMs: number,
  ) {
    this.timer = setTimeout(() => this.close(), lifetimeMs);
    this.timer.unref();
  }

  /** The client's own producer, sent back to it (resumed at once: the test has nothing to wait for). */
  async echo(producerId: string, rtpCapabilities: types.RtpCapabilities): Promise<ConsumerInfo> {
    this.media.setRtpCapabilities(rtpCapabilities);
    const consumer = await this.media.consume(this.media.producer(producerId), this.id);
    await this.media.resumeConsumer(consumer.consumerId);
    return consumer;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.media.close();
    this.router.close();
    for (const listener of this.closeListeners) listener();
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }
}

/** The node's pre-session checks: each on the least busy worker, limited per address and in number. */
export class ConnectionChecks {
  private readonly open = new Set<ConnectionCheck>();
  /** Checks whose router is being made: counted against the node's limit before the first await. */
  private starting = 0;
  private readonly starts: KeyedBuckets;

  constructor(
    private readonly pool: WorkerPool,
    private readonly transport: Omit<TransportSettings, 'webRtcServer'>,
    private readonly settings: CheckSettings,
    /** Each request's outcome, for metrics (a flood of checks shows as refusals). */
    private readonly onOutcome: (outcome: CheckOutcome) => void = () => undefined,
  ) {
    this.starts = new KeyedBuckets(settings.perAddressPerMinute / 60, settings.perAddressPerMinute);
  }

  /** How long relay credentials given to a check work: its lifetime, and a minute for the clock's drift. */
  get credentialSeconds(): number {
    return Math.ceil(this.settings.lifetimeMs / 1000) + 60;
  }

  /** The checks open now. */
  list(): ConnectionCheck[] {
    return [...this.open];
  }

  /**
   * `limitKey`: whose starts are counted per minute: the client's address, or the seat of a connection that came
   * with a token (a clinic's waiting room behind one NAT address is not limited as one client). The slot is taken
   * before the router is awaited, so concurrent requests cannot open more than the node's limit.
   */
  async start(limitKey: string): Promise<{ check: ConnectionCheck; opened: CheckOpened }> {
    if (this.open.size + this.starting >= this.settings.maxConcurrent) {
      this.onOutcome('refused-node');
      throw new CircleError('UNAVAILABLE', 'too many connection checks on this node; try again in a minute');
    }
    if (!this.starts.take(limitKey)) {
      this.onOutcome('refused-address');
      throw new CircleError('RATE_LIMITED', 'too many connection checks from this address; wait a minute');
    }
    this.starting += 1;
    let check: ConnectionCheck;
    try {
      const worker = this.pool.leastLoaded((candidate) => [...this.open].filter((open) => open.worker === candidate).length);
      const router = await worker.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
      // Full video: the check measures what the link carries, not what a room would let through.
      const media = new ParticipantMedia(router, { ...this.transport, webRtcServer: worker.webRtcServer }, CHECK_RECEIVES);
      check = new ConnectionCheck(worker, router, media, this.settings.lifetimeMs);
    } finally {
      this.starting -= 1;
    }
    this.open.add(check);
    check.onClose(() => this.open.delete(check));
    this.onOutcome('started');
    const { media, router } = check;
    try {
      const [send, recv] = [await media.createTransport('send'), await media.createTransport('recv')];
      return { check, opened: { checkId: check.id, routerRtpCapabilities: router.rtpCapabilities, send, recv } };
    } catch (error) {
      check.close();
      throw error;
    }
  }

  closeAll(): void {
    for (const check of [...this.open]) check.close();
  }
}
