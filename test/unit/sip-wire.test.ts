// Circle's SIP parser and writer: what it reads it writes back the same, over datagrams and streams cut anywhere;
// every bound refuses with SipParseError (never another error, never a hang); and a property-based fuzz of 100,000
// messages (valid ones mutated at random, and arbitrary bytes) only ever parses or refuses.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { parseSip, SipStreamParser } from '../../src/phone/sip-parse.js';
import { SIP_LIMITS, SipParseError, stringifySip, type SipMessage } from '../../src/phone/sip-wire.js';

const token = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
const displayName = fc.stringMatching(/^[A-Za-z ]{1,20}$/).map((name) => `"${name.trim() || 'x'}"`);

/** Valid SIP messages, requests and responses, with the headers Circle reads. */
const messages = fc
  .record({
    request: fc.boolean(),
    method: fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'INFO', 'OPTIONS'),
    status: fc.integer({ min: 100, max: 699 }),
    user: token,
    host: fc.constantFrom('127.0.0.1', 'trunk.example.org', '[2001:db8::1]'),
    port: fc.integer({ min: 1, max: 65535 }),
    fromTag: token,
    toTag: fc.option(token, { nil: undefined }),
    name: fc.option(displayName, { nil: undefined }),
    callId: fc.stringMatching(/^[A-Za-z0-9@.-]{1,40}$/),
    seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    branches: fc.array(token, { minLength: 1, maxLength: 4 }),
    routes: fc.array(token, { maxLength: 3 }),
    extra: fc.array(fc.tuple(fc.constantFrom('x-circle-hop', 'user-agent', 'allow', 'supported'), fc.stringMatching(/^[!-~][ -~]{0,40}[!-~]$/)), { maxLength: 4 }),
    body: fc.option(fc.stringMatching(/^[ -~\r\n]{1,400}$/), { nil: undefined }),
  })
  .map((m): SipMessage => {
    const headers: Record<string, unknown> = {
      via: m.branches.map((branch, i) => ({ version: '2.0', protocol: i % 2 ? 'TCP' : 'UDP', host: m.host, port: m.port, params: { branch: `z9hG4bK${branch}`, rport: null } })),
      from: { ...(m.name ? { name: m.name } : {}), uri: `sip:${m.user}@${m.host}`, params: { tag: m.fromTag } },
      to: { uri: `sip:circle@${m.host}:${m.port}`, params: m.toTag ? { tag: m.toTag } : {} },
      'call-id': m.callId,
      cseq: { seq: m.seq, method: m.method },
      ...(m.routes.length ? { 'record-route': m.routes.map((route) => ({ uri: `sip:${route}@${m.host};lr`, params: {} })) } : {}),
    };
    for (const [name, value] of m.extra) headers[name] = value;
    const start = m.request ? { method: m.method, uri: `sip:circle@${m.host}` } : { status: m.status, reason: 'Some Reason' };
    return { ...start, version: '2.0', headers: headers as SipMessage['headers'], ...(m.body ? { content: m.body } : {}) };
  });

/** What a message means, for comparing one read back with the one written (extra headers may be merged). */
function meaning(message: SipMessage) {
  const { via, from, to, cseq } = message.headers;
  return { start: [message.method, message.uri, message.status], via, from, to, cseq, callId: message.headers['call-id'], content: message.content ?? '' };
}

it('reads back what it writes, as a datagram and as a stream cut into arbitrary pieces', () => {
  fc.assert(
    fc.property(fc.array(messages, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), (sent, cuts) => {
      for (const message of sent) expect(meaning(parseSip(stringifySip(message)))).toEqual(meaning(message));
      const wire = sent.map((message) => `\r\n${stringifySip(message)}`).join(''); // with CRLF keep-alives between
      const received: SipMessage[] = [];
      const stream = new SipStreamParser((message) => received.push(message));
      let at = 0;
      for (let i = 0; at < wire.length; i += 1) {
        const size = cuts[i % cuts.length]!;
        stream.push(wire.slice(at, at + size));
        at += size;
      }
      expect(received.map(meaning)).toEqual(sent.map(meaning));
    }),
    { numRuns: 500 },
  );
});

it('reads compact header names, folded lines, lists over several lines, quoted names with commas and bare addresses', () => {
  const message = parseSip(
    [
      'INVITE sip:circle@127.0.0.1 SIP/2.0',
      'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa, SIP / 2.0 / TCP [2001:db8::9]:5070;branch=z9hG4bKb;received=10.0.0.9',
      'Via: SIP/2.0/UDP proxy.example.org;branch=z9hG4bKc',
      'f: "Doe, Jane" <sip:jane@example.org>;tag=abc',
      't: sip:circle@127.0.0.1;tag=xyz',
      'i: call-42@example.org',
      'CSeq: 7',
      '  INVITE',
      'm: <sip:jane@10.0.0.1:5060;transport=udp>',
      'Record-Route: <sip:p1@example.org;lr>, <sip:p2@example.org;lr>',
      'c: application/sdp',
      'l: 4',
      '',
      'v=0\r\n',
    ].join('\r\n'),
  );
  expect(message.headers.via.map((via) => [via.protocol, via.host, via.port, via.params.branch])).toEqual([
    ['UDP', '10.0.0.1', 5060, 'z9hG4bKa'],
    ['TCP', '[2001:db8::9]', 5070, 'z9hG4bKb'],
    ['UDP', 'proxy.example.org', undefined, 'z9hG4bKc'],
  ]);
  expect(message.headers.from).toEqual({ name: '"Doe, Jane"', uri: 'sip:jane@example.org', params: { tag: 'abc' } });
  expect(message.headers.to).toEqual({ uri: 'sip:circle@127.0.0.1', params: { tag: 'xyz' } });
  expect(message.headers.cseq).toEqual({ seq: 7, method: 'INVITE' });
  expect(message.headers['record-route']).toHaveLength(2);
  expect(message.headers['content-type']).toBe('application/sdp');
  expect(message.content).toBe('v=0\r');
});

const valid = stringifySip({
  method: 'OPTIONS',
  uri: 'sip:circle@127.0.0.1',
  version: '2.0',
  headers: { via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5070, params: { branch: 'z9hG4bKx' } }], from: { uri: 'sip:a@b', params: { tag: '1' } }, to: { uri: 'sip:circle@127.0.0.1', params: {} }, 'call-id': 'c', cseq: { seq: 1, method: 'OPTIONS' } },
});
const refused = (text: string) => {
  try {
    parseSip(text);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(SipParseError);
    return (error as SipParseError).message;
  }
};

it('refuses what breaks a bound or the grammar: Content-Length not a number or past the limit, too many headers or list items, a body shorter than said, a second To', () => {
  const withHeader = (line: string) => valid.replace('Content-Length: 0', line);
  expect(refused(valid)).toBeUndefined();
  expect(refused(withHeader('Content-Length: 12abc'))).toBe('bad Content-Length');
  expect(refused(withHeader('Content-Length: -1'))).toBe('bad Content-Length');
  expect(refused(withHeader(`Content-Length: ${SIP_LIMITS.maxMessageBytes + 1}`))).toBe('bad Content-Length');
  expect(refused(withHeader('Content-Length: 10'))).toBe('body shorter than Content-Length');
  expect(refused(withHeader(Array.from({ length: SIP_LIMITS.maxHeaderLines }, (_, i) => `X-Filler-${i}: y`).join('\r\n')))).toBe('too many header lines');
  expect(refused(withHeader(`Route: ${Array.from({ length: SIP_LIMITS.maxListItems + 1 }, () => '<sip:p@x;lr>').join(', ')}`))).toBe('too many list items');
  expect(refused(withHeader('To: <sip:other@x>'))).toBe('to twice');
  // An unquoted parameter value with a quote or a comma in it would be read as two Vias once written again.
  expect(refused(valid.replace(/^(Via: [^\r]*;branch=)/m, '$1z"x;branch=,'))).toBe('bad parameter value');
  expect(refused(valid.replace(/^Via:.*\r\n/m, ''))).toBe('missing Via, To, From, Call-ID or CSeq');
  expect(refused(`${valid}${' '.repeat(SIP_LIMITS.maxMessageBytes)}`)).toBe('message too large');
});

it('a stream refuses a non-numeric or oversized Content-Length, a missing one, and headers that never end, instead of buffering', () => {
  const stream = (text: string) => {
    const parser = new SipStreamParser(() => undefined);
    try {
      for (let at = 0; at < text.length; at += 1000) parser.push(text.slice(at, at + 1000));
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(SipParseError);
      return [(error as SipParseError).message, (error as SipParseError).tooLarge];
    }
  };
  expect(stream(valid)).toBeUndefined();
  expect(stream(valid.replace('Content-Length: 0', 'Content-Length: lots'))).toEqual(['bad Content-Length', false]);
  expect(stream(valid.replace('Content-Length: 0', 'Content-Length: 99999999'))).toEqual(['bad Content-Length', false]);
  expect(stream(valid.replace('Content-Length: 0\r\n', ''))).toEqual(['no Content-Length on a stream', false]);
  expect(stream(`OPTIONS sip:x SIP/2.0\r\n${'X-Filler: y\r\n'.repeat(3000)}`)).toEqual(['headers too large', true]);
  expect(stream(valid.replace('Content-Length: 0', `Content-Length: ${SIP_LIMITS.maxMessageBytes - 10}`))).toEqual(['message too large', true]);
});

/** A valid message changed at random: characters inserted, removed, lines repeated, bytes of any value. */
const mutated = fc
  .tuple(
    messages.map(stringifySip),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('\r\n', ':', ';', ',', '<', '>', '"', '\\', ' ', '/', '=', 'Content-Length: ', '\r\n\r\n'))), { maxLength: 6 }),
  )
  .map(([text, edits]) => {
    let out = text;
    for (const [at, remove, insert] of edits) {
      const where = at % (out.length + 1);
      out = out.slice(0, where) + insert + out.slice(where + remove);
    }
    return out;
  });

it('fuzz, 100,000 messages: valid ones mutated and arbitrary bytes either parse to a message with the headers every SIP message has, or are refused with SipParseError', () => {
  const check = (text: string) => {
    let message: SipMessage;
    try {
      message = parseSip(text);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      return;
    }
    expect(message.headers.via.length).toBeGreaterThan(0);
    expect(typeof message.headers['call-id']).toBe('string');
    expect(Number.isInteger(message.headers.cseq.seq)).toBe(true);
    expect(typeof message.headers.to.uri).toBe('string');
    expect(typeof message.headers.from.uri).toBe('string');
    // What was read can be written and read again.
    expect(meaning(parseSip(stringifySip(message)))).toEqual(meaning(message));
  };
  fc.assert(fc.property(mutated, check), { numRuns: 70_000 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => check(Buffer.from(bytes).toString('latin1'))), { numRuns: 30_000 });
});
