import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { makeResponse, type SipMessage } from './sip-wire.js';
import { Repeater, tag } from './sip-dialogs.js';
import type { Flow } from './sip-endpoint.js';

type ClientCallEvents = {
  /** The other end answered 2xx with this SDP; the ACK is sent. */
  answered: [sdp: string];
  /** The INVITE was refused, or nothing answered it within 64·T1. */
  failed: [];
  /** The other end hung up (BYE). */
  ended: [];
};

/** Where this node takes SIP: its Contact and Via. */
export interface LocalAddress {
  host: string;
  port: number;
}

/**
 * One call this node places (RFC 3261 UAC) to another Circle node's bridge: an INVITE repeated over UDP until
 * answered, its 2xx acknowledged, then a BYE from either side. Only what a call between two Circle nodes needs: no
 * authentication challenges, no forking, no re-INVITEs of its own, no CANCEL (a call hung up while it is being
 * placed is ended with a BYE once answered).
 */
export class SipClientCall extends EventEmitter<ClientCallEvents> {
  readonly callId = `${randomBytes(12).toString('hex')}@circle`;
  /** Our tag, in the From of every request of the call. */
  readonly localTag = tag();
  private readonly repeater = new Repeater();
  private remoteTag: string | undefined;
  private remoteTarget: string;
  private sequence = 1;
  private state: 'calling' | 'confirmed' | 'ended' = 'calling';

  constructor(
    private readonly flow: Flow,
    private readonly local: LocalAddress,
    target: string,
  ) {
    super();
    this.remoteTarget = target;
  }

  private get contact(): string {
    return `sip:circle@${this.local.host}:${this.local.port}`;
  }

  /** Places the call with `sdp`; `headers` go with the INVITE. */
  invite(sdp: string, headers: Record<string, string>): void {
    const invite = this.request('INVITE', this.sequence, sdp, headers);
    this.flow.send(invite);
    this.repeater.start(
      () => this.flow.send(invite),
      () => this.fail(),
      { uncapped: true },
    );
  }

  /** This node ends the call: a BYE (repeated until answered) once it is up; before that, when it comes up. */
  hangUp(): void {
    if (this.state === 'confirmed') this.bye();
    this.state = 'ended';
  }

  /** A message of this call: a response to our request, or a request of the other end's in the dialog. */
  handle(message: SipMessage): void {
    if (message.status !== undefined) return this.response(message);
    switch (message.method) {
      case 'BYE':
        this.flow.send(makeResponse(message, 200, 'OK'));
        if (this.state === 'ended') return;
        this.state = 'ended';
        this.repeater.stop();
        this.emit('ended');
        return;
      case 'ACK':
        return;
      case 'OPTIONS':
        return this.flow.send(makeResponse(message, 200, 'OK'));
      default:
        this.flow.send(makeResponse(message, 405, 'Method Not Allowed'));
    }
  }

  dispose(): void {
    this.repeater.stop();
    this.state = 'ended';
  }

  private response(message: SipMessage): void {
    const status = message.status!;
    if (message.headers.cseq.method !== 'INVITE') return this.repeater.stop(); // our BYE arrived
    if (status < 200) return this.repeater.quiet(); // a provisional answer: no need to send the INVITE again
    this.repeater.stop();
    if (status >= 300) {
      this.flow.send(this.ackFor(message, String(message.headers.via[0]?.params.branch ?? '')));
      if (this.state !== 'ended') this.fail();
      return;
    }
    this.remoteTag = message.headers.to.params.tag ?? undefined;
    const contact = Array.isArray(message.headers.contact) ? message.headers.contact[0]?.uri : undefined;
    if (contact) this.remoteTarget = contact;
    // A 2xx is acknowledged end to end (a new branch), every time it comes again.
    this.flow.send(this.ackFor(message));
    if (this.state === 'calling') {
      this.state = 'confirmed';
      this.emit('answered', message.content ?? '');
    } else if (this.state === 'ended') this.bye(); // hung up while it was being placed
  }

  private fail(): void {
    this.state = 'ended';
    this.emit('failed');
  }

  private bye(): void {
    const bye = this.request('BYE', (this.sequence += 1));
    this.flow.send(bye);
    this.repeater.start(() => this.flow.send(bye));
  }

  private ackFor(response: SipMessage, branch?: string): SipMessage {
    const ack = this.request('ACK', response.headers.cseq.seq);
    ack.headers.to = response.headers.to;
    if (branch) ack.headers.via[0]!.params.branch = branch;
    return ack;
  }

  private request(method: string, sequence: number, sdp?: string, extra: Record<string, string> = {}): SipMessage {
    return {
      method,
      uri: this.remoteTarget,
      version: '2.0',
      headers: {
        via: [{ version: '2.0', protocol: 'UDP', host: this.local.host, port: this.local.port, params: { branch: `z9hG4bK${tag()}`, rport: null } }],
        from: { uri: this.contact, params: { tag: this.localTag } },
        to: { uri: this.remoteTarget, params: this.remoteTag ? { tag: this.remoteTag } : {} },
        'call-id': this.callId,
        cseq: { seq: sequence, method },
        'max-forwards': 70,
        contact: [{ uri: this.contact, params: {} }],
        ...(sdp ? { 'content-type': 'application/sdp' } : {}),
        ...extra,
      },
      content: sdp,
    } as SipMessage;
  }
}
