import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import type { SessionReport } from '../reports/attendance.js';
import type { ParticipationEvent } from '../rooms/room-port.js';
import { webhookHeaders, webhookKey } from './signature.js';

export interface WebhookSettings {
  /** Where events go; empty turns webhooks off. */
  url: string;
  secret: string;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  queueLimit: number;
}

export type WebhookOutcome = 'delivered' | 'retried' | 'failed' | 'dropped';

/** What the clinic's systems are told: who took part and how the session went, never why or with whom. */
const FORWARDED: ReadonlySet<ParticipationEvent['type']> = new Set([
  'session.started',
  'session.ended',
  'participant.joined',
  'participant.admitted',
  'participant.left',
  'participant.removed',
  'participant.audioOnly',
]);

/** One event on its way: its body is fixed at the first attempt, so every retry (on any node) sends the same. */
export interface Delivery {
  id: string;
  type: string;
  body: string;
  attempts: number;
}

/** Deliveries in flight at once; the rest wait in the queue. */
const CONCURRENCY = 4;

/**
 * Sends the clinic's webhook endpoint what happens in sessions (ids only), signed per Standard Webhooks (`signature.ts`), each delivery
 * retried with exponential backoff and jitter until `maxAttempts`. Nothing waits for it: a room only hands an event
 * to the queue; a slow or dead endpoint fills the queue, whose oldest deliveries then give way (counted).
 */
export class WebhookSender {
  private readonly queue: Delivery[] = [];
  /** Every delivery not yet delivered or given up: queued, in flight or waiting to be retried. */
  private readonly pending = new Map<string, Delivery>();
  private inFlight = 0;
  private readonly key: Buffer;

  /**
   * `nextSequence` numbers events across the cluster for as long as the shared store keeps the count (a receiver
   * orders and spots gaps by it); when the store does not answer, the event goes without one rather than waiting.
   */
  constructor(
    private readonly settings: WebhookSettings,
    private readonly nextSequence: () => Promise<number>,
    private readonly counted: (outcome: WebhookOutcome) => void,
    private readonly logger: Logger,
  ) {
    this.key = webhookKey(settings.secret);
  }

  get enabled(): boolean {
    return this.settings.url !== '';
  }

  participation(roomId: string, event: ParticipationEvent): void {
    // A call taking a seat is sent as `participant.dialledIn`; a browser's entry is already `joined` or `resumed`.
    if (event.type === 'participant.call') {
      if (event.voiceOnCall) this.enqueue('participant.dialledIn', { roomId, participantId: event.participantId });
      return;
    }
    if (!FORWARDED.has(event.type)) return;
    const { type, ...fields } = event;
    this.enqueue(type, { roomId, ...fields });
  }

  report(report: SessionReport): void {
    this.enqueue('session.report', { roomId: report.roomId, report });
  }

  /** What is still to deliver, oldest first: what another node takes over if this one dies. */
  undelivered(): Delivery[] {
    return [...this.pending.values()];
  }

  /** Deliveries another node left undelivered (or this one, before a restart): sent from here, same ids. */
  adopt(deliveries: Delivery[]): void {
    for (const delivery of deliveries) if (!this.pending.has(delivery.id)) this.queued(delivery);
  }

  private enqueue(type: string, fields: Record<string, unknown>): void {
    if (!this.enabled) return;
    const id = randomUUID();
    const occurredAt = new Date().toISOString();
    this.nextSequence()
      .catch((error: unknown) => {
        this.logger.warn({ webhook: type, err: error }, 'webhook sequence unavailable; sent without one');
        return undefined; // JSON leaves the field out
      })
      .then((sequence) => this.queued({ id, type, body: JSON.stringify({ id, type, occurredAt, sequence, ...fields }), attempts: 0 }));
  }

  private queued(delivery: Delivery): void {
    this.queue.push(delivery);
    this.pending.set(delivery.id, delivery);
    if (this.queue.length > this.settings.queueLimit) {
      this.pending.delete(this.queue.shift()!.id);
      this.counted('dropped');
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < CONCURRENCY && this.queue.length) {
      const delivery = this.queue.shift()!;
      this.inFlight += 1;
      void this.attempt(delivery).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.attempts += 1;
    if (await this.post(delivery)) {
      this.pending.delete(delivery.id);
      return this.counted('delivered');
    }
    if (delivery.attempts >= this.settings.maxAttempts) {
      this.pending.delete(delivery.id);
      this.counted('failed');
      this.logger.warn({ webhook: delivery.type, attempts: delivery.attempts }, 'webhook not delivered; given up');
      return;
    }
    this.counted('retried');
    const delay = this.settings.retryBaseMs * 2 ** (delivery.attempts - 1) * (0.75 + Math.random() / 2);
    setTimeout(() => {
      this.queue.unshift(delivery);
      this.pump();
    }, delay).unref();
  }

  /** One POST: answered 2xx within the timeout, or not. */
  private async post(delivery: Delivery): Promise<boolean> {
    try {
      const response = await fetch(this.settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...webhookHeaders(this.key, delivery.id, delivery.body, Math.floor(Date.now() / 1000)),
        },
        body: delivery.body,
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok;
    } catch {
      return false;
    }
  }
}
