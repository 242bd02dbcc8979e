import { makeResponse, type SipMessage } from './sip-wire.js';
import type { SipClientCall } from './sip-client-call.js';
import { SipCall } from './sip-dialogs.js';
import type { Flow } from './sip-endpoint.js';

/** How long an ended call is remembered, to answer its retransmissions (64·T1). */
const LINGER_MS = 32_000;

/**
 * Routes SIP messages to calls: a new INVITE makes a call (answered 100 Trying at once, then handed to
 * `onInvite`), everything else goes to the call it belongs to (Call-ID and the caller's tag), OPTIONS pings are
 * answered, and a request for no known call gets 481.
 */
export class SipServer {
  private readonly calls = new Map<string, SipCall>();
  /** Calls this node places (to another node's bridge), by Call-ID: every message of theirs is theirs. */
  private readonly placed = new Map<string, SipClientCall>();

  constructor(
    /** Where the caller reaches this call again: the same transport (and port) the INVITE came over. */
    private readonly contactUri: (flow: Flow) => string,
    private readonly onInvite: (call: SipCall) => void,
  ) {}

  get activeCalls(): number {
    let count = 0;
    for (const call of this.calls.values()) if (!call.ended) count += 1;
    return count;
  }

  /** Routes the messages of a call this node places to it, until it ends (and a while after, for repeats). */
  place(call: SipClientCall): void {
    this.placed.set(call.callId, call);
    const forget = () => setTimeout(() => this.placed.get(call.callId) === call && this.placed.delete(call.callId), LINGER_MS).unref();
    call.once('ended', forget);
    call.once('failed', forget);
  }

  handle(message: SipMessage, flow: Flow): void {
    const placed = this.placed.get(message.headers['call-id']);
    if (placed) return placed.handle(message);
    // The caller's tag: in From on their requests, in To on the responses to ours (a BYE).
    const callerTag = (message.status === undefined ? message.headers.from : message.headers.to).params.tag ?? '';
    const key = `${message.headers['call-id']}\n${callerTag}`;
    const call = this.calls.get(key);
    if (message.status !== undefined) {
      call?.handleResponse();
      return;
    }
    if (call) {
      // A request naming the call but not our tag comes from someone who never saw our answer: nothing of theirs counts.
      if (call.carriesOurTag(message)) return call.handle(message, flow);
      if (message.method !== 'ACK') flow.send(makeResponse(message, 481, 'Call/Transaction Does Not Exist'));
      return;
    }
    switch (message.method) {
      case 'INVITE': {
        if (message.headers.to.params.tag) return flow.send(makeResponse(message, 481, 'Call/Transaction Does Not Exist'));
        const created = new SipCall(message, flow, this.contactUri(flow), (gone) => setTimeout(() => this.calls.get(key) === gone && this.calls.delete(key), LINGER_MS).unref());
        this.calls.set(key, created);
        flow.send(created.respond(message, 100, 'Trying'));
        this.onInvite(created);
        return;
      }
      case 'OPTIONS':
        return flow.send(makeResponse(message, 200, 'OK', { headers: { allow: 'INVITE, ACK, CANCEL, BYE, INFO, OPTIONS', accept: 'application/sdp' } }));
      case 'ACK':
        return;
      default:
        flow.send(makeResponse(message, 481, 'Call/Transaction Does Not Exist'));
    }
  }

  /** Every call, on a closing node: each caller gets a BYE. */
  hangUpAll(): void {
    for (const call of this.calls.values()) call.hangUp();
    for (const call of this.placed.values()) call.hangUp();
  }

  disposeAll(): void {
    for (const call of [...this.calls.values(), ...this.placed.values()]) call.dispose();
    this.calls.clear();
    this.placed.clear();
  }
}
