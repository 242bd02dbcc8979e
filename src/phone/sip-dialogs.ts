import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { makeResponse, type NameAddr, type SipMessage } from './sip-wire.js';
import type { Flow } from './sip-endpoint.js';

/** RFC 3261 timers: T1 (round-trip estimate) and T2 (the longest retransmit interval); 64·T1 ends a transaction. */
const T1_MS = 500;
const T2_MS = 4000;
const TRANSACTION_MS = 64 * T1_MS;

export type CallEnd = 'bye' | 'cancel' | 'no-ack' | 'hung-up';

export function tag(): string {
  return randomBytes(6).toString('hex');
}

/**
 * RFC 3261 §17: a message sent again over UDP until its answer comes, at T1 doubling (up to T2 unless `uncapped`,
 * as an INVITE's Timer A is), for 64·T1 at most; `expired` runs if nothing stopped it by then.
 */
export class Repeater {
  private retransmit: NodeJS.Timeout | undefined;
  private giveUp: NodeJS.Timeout | undefined;

  start(send: () => void, expired?: () => void, { uncapped = false } = {}): void {
    this.stop();
    let interval = T1_MS;
    const again = (): void => {
      send();
      interval = uncapped ? interval * 2 : Math.min(interval * 2, T2_MS);
      this.retransmit = setTimeout(again, interval);
    };
    this.retransmit = setTimeout(again, interval);
    this.giveUp = setTimeout(() => {
      this.stop();
      expired?.();
    }, TRANSACTION_MS);
  }

  /** Stops sending again; the transaction's end stays armed (a provisional answer to an INVITE). */
  quiet(): void {
    clearTimeout(this.retransmit);
  }

  stop(): void {
    clearTimeout(this.retransmit);
    clearTimeout(this.giveUp);
  }
}

type CallEvents = {
  confirmed: [];
  ended: [why: CallEnd];
  info: [contentType: string, body: string];
};

/**
 * One inbound call, as its dialog (RFC 3261 §12): answered or refused once, then confirmed by the caller's ACK, and
 * ended by either side's BYE. The SIP bookkeeping (retransmitting a final answer until it is acknowledged, matching
 * a CANCEL, a re-INVITE's answer) is here; what the call means to a room is not.
 */
export class SipCall extends EventEmitter<CallEvents> {
  readonly localTag = tag();
  private finalResponse: SipMessage | undefined;
  private readonly repeater = new Repeater();
  private ackTimer: NodeJS.Timeout | undefined;
  private localSequence = 1;
  private state: 'early' | 'answered' | 'confirmed' | 'ended' = 'early';
  /** Answers a re-INVITE's offer (an SDP answer), or undefined to refuse it (488). */
  onReoffer: ((sdp: string) => string | undefined) | undefined;

  constructor(
    readonly invite: SipMessage,
    readonly flow: Flow,
    private readonly contact: string,
    private readonly onGone: (call: SipCall) => void,
  ) {
    super();
  }

  get callId(): string {
    return this.invite.headers['call-id'];
  }

  get offer(): string {
    return this.invite.content ?? '';
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /**
   * Whether `request` belongs to this dialog as far as its To tag says: the INVITE again and a CANCEL carry none;
   * everything else (ACK, BYE, INFO, a re-INVITE) must carry ours, which only who received our answer knows.
   */
  carriesOurTag(request: SipMessage): boolean {
    const toTag = request.headers.to.params.tag;
    if (request.method === 'CANCEL' || (request.method === 'INVITE' && !toTag)) return !toTag;
    return toTag === this.localTag;
  }

  /** Resolves true once the caller acknowledges the answer (the ACK carrying our tag), false if the call ends first. */
  confirmation(): Promise<boolean> {
    if (this.state === 'confirmed') return Promise.resolve(true);
    if (this.state === 'ended') return Promise.resolve(false);
    return new Promise((resolve) => {
      const confirmed = () => {
        this.off('ended', ended);
        resolve(true);
      };
      const ended = () => {
        this.off('confirmed', confirmed);
        resolve(false);
      };
      this.once('confirmed', confirmed);
      this.once('ended', ended);
    });
  }

  /** 180 Ringing: the caller hears ringback until the answer. */
  ring(): void {
    if (this.state === 'early') this.flow.send(this.respond(this.invite, 180, 'Ringing'));
  }

  /** 200 OK with `sdp`, repeated (over UDP) until the caller's ACK; a call never acknowledged is ended. */
  answer(sdp: string): void {
    if (this.state !== 'early') return;
    this.state = 'answered';
    this.sendFinal(this.respond(this.invite, 200, 'OK', sdp));
  }

  /** A final refusal (486 busy, 488 not acceptable, 503 …); the call ends. */
  refuse(status: number, reason: string): void {
    if (this.state !== 'early') return;
    this.state = 'ended';
    this.sendFinal(this.respond(this.invite, status, reason));
    this.onGone(this);
  }

  /** Circle ends the call: BYE, retransmitted until answered. */
  hangUp(why: CallEnd = 'hung-up'): void {
    if (this.state === 'early') return this.refuse(480, 'Temporarily Unavailable');
    if (this.state === 'ended') return;
    this.finish(why);
    const { from, to } = this.invite.headers;
    const routes = [...(this.invite.headers['record-route'] ?? [])].reverse();
    const contact = Array.isArray(this.invite.headers.contact) ? this.invite.headers.contact[0]?.uri : undefined;
    const bye: SipMessage = {
      method: 'BYE',
      uri: contact ?? from.uri,
      version: '2.0',
      headers: {
        via: [{ version: '2.0', protocol: this.flow.protocol, host: this.contactHost, params: { branch: `z9hG4bK${tag()}`, rport: null } }],
        to: from,
        from: { ...to, params: { ...to.params, tag: this.localTag } } as NameAddr,
        'call-id': this.callId,
        cseq: { seq: (this.localSequence += 1), method: 'BYE' },
        'max-forwards': 70,
        ...(routes.length ? { route: routes } : {}),
      },
    };
    this.flow.send(bye);
    if (this.flow.protocol === 'UDP') this.repeater.start(() => this.flow.send(bye));
  }

  /** A request of this dialog (or the INVITE again); answers it. */
  handle(request: SipMessage, flow: Flow): void {
    switch (request.method) {
      case 'INVITE':
        if (!request.headers.to.params.tag) {
          // The same INVITE again (our answer was lost): the answer again.
          if (this.finalResponse) flow.send(this.finalResponse);
          return;
        }
        return this.reinvite(request, flow);
      case 'ACK':
        if (this.state === 'answered') {
          this.state = 'confirmed';
          this.stopRepeating();
          this.emit('confirmed');
        } else if (this.state === 'ended') this.stopRepeating();
        return;
      case 'CANCEL':
        flow.send(this.respond(request, 200, 'OK'));
        if (this.state === 'early') {
          this.state = 'ended';
          this.sendFinal(this.respond(this.invite, 487, 'Request Terminated'));
          this.emit('ended', 'cancel');
          this.onGone(this);
        }
        return;
      case 'BYE':
        flow.send(this.respond(request, 200, 'OK'));
        this.finish('bye');
        return;
      case 'INFO':
        flow.send(this.respond(request, 200, 'OK'));
        this.emit('info', String(request.headers['content-type'] ?? ''), request.content ?? '');
        return;
      case 'OPTIONS': // a trunk's keep-alive inside the call
        flow.send(this.respond(request, 200, 'OK'));
        return;
      default:
        flow.send(this.respond(request, 405, 'Method Not Allowed', undefined, { allow: 'INVITE, ACK, CANCEL, BYE, INFO, OPTIONS' }));
    }
  }

  /** A response to our BYE: it arrived, so stop repeating it. */
  handleResponse(): void {
    if (this.state === 'ended') this.stopRepeating();
  }

  /** Drops timers without a word: the node is closing. */
  dispose(): void {
    this.stopRepeating();
    this.state = 'ended';
  }

  respond(request: SipMessage, status: number, reason: string, sdp?: string, extra: Record<string, unknown> = {}): SipMessage {
    const to = request.headers.to;
    const headers: Record<string, unknown> = {
      to: to.params.tag ? to : { ...to, params: { ...to.params, tag: this.localTag } },
      ...extra,
    };
    if (request.method === 'INVITE' && status < 300) {
      headers.contact = [{ uri: this.contact, params: {} }];
      if (request.headers['record-route']) headers['record-route'] = request.headers['record-route'];
    }
    if (sdp) headers['content-type'] = 'application/sdp';
    return makeResponse(request, status, reason, { headers, content: sdp });
  }

  private get contactHost(): string {
    return this.contact.replace(/^sips?:/, '').replace(/;.*$/, '');
  }

  private reinvite(request: SipMessage, flow: Flow): void {
    if (this.state !== 'confirmed') {
      flow.send(this.respond(request, 491, 'Request Pending'));
      return;
    }
    const answer = this.onReoffer?.(request.content ?? '');
    flow.send(answer ? this.respond(request, 200, 'OK', answer) : this.respond(request, 488, 'Not Acceptable Here'));
  }

  private finish(why: CallEnd): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.stopRepeating();
    this.emit('ended', why);
    this.onGone(this);
  }

  private sendFinal(response: SipMessage): void {
    this.finalResponse = response;
    this.flow.send(response);
    if (this.flow.protocol !== 'UDP') {
      if (response.status === 200) this.ackTimer = setTimeout(() => this.noAck(), TRANSACTION_MS);
      return;
    }
    this.repeater.start(() => this.flow.send(response), () => response.status === 200 && this.noAck());
  }

  /** RFC 3261 §13.3.1.4: an answer never acknowledged ends the call with a BYE. */
  private noAck(): void {
    if (this.state === 'answered') this.hangUp('no-ack');
  }

  private stopRepeating(): void {
    this.repeater.stop();
    clearTimeout(this.ackTimer);
  }
}
