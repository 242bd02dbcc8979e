// The SIP dialog bookkeeping against a fake flow and fake timers: a final answer repeated until the ACK, a lost
// INVITE answered again, CANCEL before the answer, our BYE repeated until its response, no ACK ending the call.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { parseSip } from '../../src/phone/sip-parse.js';
import { makeResponse, type SipMessage } from '../../src/phone/sip-wire.js';
import { SipServer } from '../../src/phone/sip-server.js';
import type { SipCall } from '../../src/phone/sip-dialogs.js';
import type { Flow } from '../../src/phone/sip-endpoint.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const request = (method: string, { cseq = 1, toTag, branch = 'z9hG4bKa' }: { cseq?: number; toTag?: string; branch?: string } = {}): SipMessage =>
  parseSip(
    [
      `${method} sip:circle@127.0.0.1 SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}`,
      'From: <sip:caller@127.0.0.1>;tag=caller1',
      `To: <sip:circle@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
      'Call-ID: call-1',
      `CSeq: ${cseq} ${method === 'ACK' || method === 'CANCEL' ? (method === 'CANCEL' ? 'CANCEL' : 'ACK') : method}`,
      'Contact: <sip:caller@127.0.0.1:5070>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );

function harness() {
  const sent: SipMessage[] = [];
  const flow: Flow = { protocol: 'UDP', address: '127.0.0.1', port: 5070, send: (m) => sent.push(JSON.parse(JSON.stringify(m)) as SipMessage) };
  let call: SipCall | undefined;
  const server = new SipServer(() => 'sip:circle@127.0.0.1:5060', (made) => (call = made));
  const ended: string[] = [];
  server.handle(request('INVITE'), flow);
  call!.on('ended', (why) => ended.push(why));
  const statuses = () => sent.filter((m) => m.status !== undefined).map((m) => m.status);
  const requests = (method: string) => sent.filter((m) => m.method === method);
  return { server, flow, call: call!, sent, ended, statuses, requests };
}

it('repeats the 200 until the ACK, answers a repeated INVITE again, then is quiet', () => {
  const { server, flow, call, statuses } = harness();
  call.answer('v=0\r\n');
  vi.advanceTimersByTime(1600); // 500, 1000 (doubling from T1)
  expect(statuses()).toEqual([100, 200, 200, 200]);
  server.handle(request('INVITE'), flow); // the caller did not get it: the same answer
  expect(statuses().at(-1)).toBe(200);
  const toTag = call.localTag;
  server.handle(request('ACK', { toTag, branch: 'z9hG4bKack' }), flow);
  const count = statuses().length;
  vi.advanceTimersByTime(10_000);
  expect(statuses()).toHaveLength(count);
});

it('CANCEL before the answer: 200 to it, 487 to the INVITE, the call ended as cancelled', () => {
  const { server, flow, ended, statuses } = harness();
  server.handle(request('CANCEL'), flow);
  expect(statuses()).toEqual([100, 200, 487]);
  expect(ended).toEqual(['cancel']);
});

it('our BYE is repeated until its response arrives; an answer never acknowledged ends the call with a BYE', () => {
  const { server, flow, call, ended, requests } = harness();
  call.answer('v=0\r\n');
  server.handle(request('ACK', { toTag: call.localTag, branch: 'z9hG4bKack' }), flow);
  call.hangUp();
  vi.advanceTimersByTime(1600);
  expect(requests('BYE').length).toBe(3);
  const bye = requests('BYE')[0]!;
  expect(bye.headers.from.params.tag).toBe(call.localTag);
  expect(bye.headers.to.params.tag).toBe('caller1');
  server.handle(makeResponse(bye, 200, 'OK'), flow);
  vi.advanceTimersByTime(10_000);
  expect(requests('BYE').length).toBe(3);
  expect(ended).toEqual(['hung-up']);

  const unacknowledged = harness();
  unacknowledged.call.answer('v=0\r\n');
  vi.advanceTimersByTime(33_000);
  expect(unacknowledged.ended).toEqual(['no-ack']);
  expect(unacknowledged.requests('BYE').length).toBeGreaterThan(0);
});

it('a request for no known call gets 481; OPTIONS gets 200', () => {
  const { server, flow, statuses } = harness();
  server.handle({ ...request('BYE', { toTag: 'x' }), headers: { ...request('BYE', { toTag: 'x' }).headers, 'call-id': 'other' } }, flow);
  server.handle({ ...request('OPTIONS'), headers: { ...request('OPTIONS').headers, 'call-id': 'ping' } }, flow);
  expect(statuses().slice(-2)).toEqual([481, 200]);
});

it('requests of the call that do not carry our tag (a blind ACK, BYE, INFO) get 481 and change nothing', () => {
  const { server, flow, call, ended, statuses } = harness();
  const events: string[] = [];
  call.on('confirmed', () => events.push('confirmed'));
  call.on('info', () => events.push('info'));
  call.answer('v=0\r\n');
  for (const toTag of [undefined, 'guess', `${call.localTag}x`]) {
    server.handle(request('ACK', { toTag, branch: 'z9hG4bKack' }), flow);
    server.handle(request('INFO', { cseq: 2, toTag }), flow);
    server.handle(request('BYE', { cseq: 3, toTag }), flow);
  }
  expect(events).toEqual([]);
  expect(ended).toEqual([]);
  expect(statuses().filter((status) => status === 481)).toHaveLength(6); // INFO and BYE; an ACK is never answered
  server.handle(request('ACK', { toTag: call.localTag, branch: 'z9hG4bKack' }), flow);
  server.handle(request('INFO', { cseq: 2, toTag: call.localTag }), flow);
  expect(events).toEqual(['confirmed', 'info']);
});
