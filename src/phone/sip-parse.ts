/**
 * SIP messages read off the wire by Circle itself. Everything here runs on bytes an unauthenticated peer chose, so
 * each step is one pass over its input, with no regular expression that can backtrack, and every count is bounded:
 * the message's size, its header lines, the items of a header list and `Content-Length` (a number within the
 * message limit, else the message is refused).
 */
import { SIP_LIMITS, SipParseError, type NameAddr, type SipHeaders, type SipMessage, type Via } from './sip-wire.js';

/** RFC 3261 §7.3.3 compact forms. */
const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported', s: 'subject', e: 'content-encoding' };
const LIST_HEADERS = new Set(['via', 'contact', 'route', 'record-route']);
const SINGLE_HEADERS = new Set(['to', 'from', 'call-id', 'cseq', 'content-length']);
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const NUMBER = /^\d{1,9}$/;
/** An unquoted parameter value: a token or a host (an IPv6 reference with its brackets and colons). */
const PARAM_VALUE = /^[A-Za-z0-9.!%*_+`'~:[\]-]*$/;
/** A URI as Circle keeps it: a scheme, and nothing that would end or quote it when written inside `<…>`. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"]+$/;

function fail(what: string, tooLarge = false): never {
  throw new SipParseError(what, tooLarge);
}

/** Where the header section ends: the index of the blank line's first character, and where the body starts. */
function headerEnd(text: string, from = 0): { end: number; body: number } | undefined {
  const crlf = text.indexOf('\r\n\r\n', from);
  const lf = text.indexOf('\n\n', from);
  if (crlf !== -1 && (lf === -1 || crlf <= lf)) return { end: crlf, body: crlf + 4 };
  if (lf !== -1) return { end: lf, body: lf + 2 };
  return undefined;
}

/** The header section's lines, continuation lines (leading space or tab) folded into the line before. */
function headerLines(head: string): string[] {
  const lines: string[] = [];
  for (const raw of head.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (lines.length < 2) fail('a continuation line with no header before it');
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else lines.push(line);
    if (lines.length > SIP_LIMITS.maxHeaderLines + 1) fail('too many header lines');
  }
  return lines;
}

/** Splits a header value at commas outside quotes and angle brackets. */
function splitList(value: string): string[] {
  const items: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i];
    if (quoted) {
      if (char === '\\') i += 1;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === '<') angle = true;
    else if (char === '>') angle = false;
    else if (char === ',' && !angle) {
      items.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(value.slice(start).trim());
  return items.filter(Boolean);
}

/** `;name=value;flag` from `at` to the end; names lower-cased, quoted values kept with their quotes. */
function parseParams(text: string, at: number): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  let i = at;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i += 1;
    if (i >= text.length) break;
    if (text[i] !== ';') fail('bad parameter list');
    i += 1;
    let nameEnd = i;
    while (nameEnd < text.length && !'=; \t'.includes(text[nameEnd]!)) nameEnd += 1;
    const name = text.slice(i, nameEnd).toLowerCase();
    if (!TOKEN.test(name)) fail('bad parameter name');
    i = nameEnd;
    while (text[i] === ' ' || text[i] === '\t') i += 1;
    if (text[i] !== '=') {
      params[name] = null;
      continue;
    }
    i += 1;
    while (text[i] === ' ' || text[i] === '\t') i += 1;
    let valueEnd = i;
    if (text[i] === '"') {
      valueEnd += 1;
      while (valueEnd < text.length && text[valueEnd] !== '"') valueEnd += text[valueEnd] === '\\' ? 2 : 1;
      if (valueEnd >= text.length) fail('unterminated quoted parameter');
      valueEnd += 1;
    } else {
      while (valueEnd < text.length && !'; \t'.includes(text[valueEnd]!)) valueEnd += 1;
      // RFC 3261 §25.1: an unquoted value is a token or a host; a stray quote or comma would be read differently once written again.
      if (!PARAM_VALUE.test(text.slice(i, valueEnd))) fail('bad parameter value');
    }
    params[name] = text.slice(i, valueEnd);
    i = valueEnd;
  }
  return params;
}

/** `"Name" <sip:uri>;tag=x`, `Name <uri>`, or a bare `sip:uri;tag=x` (whose parameters are the header's). */
export function parseNameAddr(value: string): NameAddr {
  const text = value.trim();
  let i = 0;
  let name: string | undefined;
  if (text[0] === '"') {
    i = 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('unterminated display name');
    name = text.slice(0, i + 1);
    i += 1;
  }
  const open = text.indexOf('<', i);
  if (open === -1) {
    if (name !== undefined) fail('a display name without <uri>');
    let uriEnd = 0;
    while (uriEnd < text.length && !'; \t'.includes(text[uriEnd]!)) uriEnd += 1;
    const uri = text.slice(0, uriEnd);
    if (!URI.test(uri)) fail('bad address');
    return { uri, params: parseParams(text, uriEnd) };
  }
  if (name === undefined) {
    const before = text.slice(0, open).trim();
    if (before) name = before;
  } else if (text.slice(i, open).trim()) fail('text between display name and <uri>');
  const close = text.indexOf('>', open);
  if (close === -1) fail('unterminated <uri>');
  const uri = text.slice(open + 1, close).trim();
  if (!URI.test(uri)) fail('bad address');
  return { ...(name !== undefined ? { name } : {}), uri, params: parseParams(text, close + 1) };
}

/** `SIP/2.0/UDP host:port;branch=…` (spaces allowed around the slashes, as RFC 3261 §25.1 permits). */
export function parseVia(value: string): Via {
  const text = value.trim();
  const parts: string[] = [];
  let i = 0;
  for (let part = 0; part < 3; part += 1) {
    while (text[i] === ' ' || text[i] === '\t') i += 1;
    let end = i;
    while (end < text.length && !'/ \t'.includes(text[end]!)) end += 1;
    parts.push(text.slice(i, end));
    i = end;
    while (text[i] === ' ' || text[i] === '\t') i += 1;
    if (part < 2) {
      if (text[i] !== '/') fail('bad Via protocol');
      i += 1;
    }
  }
  const [name, version, protocol] = parts as [string, string, string];
  if (name.toUpperCase() !== 'SIP' || !/^\d\.\d$/.test(version) || !TOKEN.test(protocol)) fail('bad Via protocol');
  let sentByEnd = i;
  while (sentByEnd < text.length && !'; \t'.includes(text[sentByEnd]!)) sentByEnd += 1;
  const sentBy = text.slice(i, sentByEnd);
  let host = sentBy;
  let port: number | undefined;
  const colon = sentBy.startsWith('[') ? sentBy.indexOf(']:') + 1 : sentBy.lastIndexOf(':');
  if (colon > 0) {
    host = sentBy.slice(0, colon);
    const digits = sentBy.slice(colon + 1);
    if (!/^\d{1,5}$/.test(digits)) fail('bad Via port');
    port = Number(digits);
  }
  if (!host) fail('Via without a host');
  return { version, protocol: protocol.toUpperCase(), host, ...(port !== undefined ? { port } : {}), params: parseParams(text, sentByEnd) };
}

function parseStartLine(line: string, message: Partial<SipMessage>): void {
  if (line.startsWith('SIP/')) {
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    const version = line.slice(4, first);
    const status = line.slice(first + 1, second === -1 ? undefined : second);
    if (first === -1 || !/^\d\.\d$/.test(version) || !/^[1-6]\d\d$/.test(status)) fail('bad status line');
    Object.assign(message, { version, status: Number(status), reason: second === -1 ? '' : line.slice(second + 1) });
    return;
  }
  const parts = line.split(' ');
  if (parts.length !== 3) fail('bad request line');
  const [method, uri, protocol] = parts as [string, string, string];
  if (!TOKEN.test(method) || !URI.test(uri) || !/^SIP\/\d\.\d$/.test(protocol)) fail('bad request line');
  Object.assign(message, { method: method.toUpperCase(), uri, version: protocol.slice(4) });
}

function setHeader(headers: Record<string, unknown>, name: string, value: string, listItems: { count: number }): void {
  if (LIST_HEADERS.has(name)) {
    if (name === 'contact' && value === '*') {
      headers.contact = '*';
      return;
    }
    const items = splitList(value);
    listItems.count += items.length;
    if (listItems.count > SIP_LIMITS.maxListItems) fail('too many list items');
    const parsed = items.map((item) => (name === 'via' ? parseVia(item) : parseNameAddr(item)));
    const existing = headers[name];
    if (existing === '*') fail('Contact: * with addresses');
    headers[name] = [...((existing as unknown[] | undefined) ?? []), ...parsed];
    return;
  }
  if (SINGLE_HEADERS.has(name) && name in headers) fail(`${name} twice`);
  switch (name) {
    case 'to':
    case 'from':
      headers[name] = parseNameAddr(value);
      return;
    case 'call-id':
      if (!value || /\s/.test(value)) fail('bad Call-ID');
      headers[name] = value;
      return;
    case 'cseq': {
      const space = value.indexOf(' ');
      const seq = value.slice(0, space);
      const method = value.slice(space + 1).trim();
      // RFC 3261 §8.1.1.5: a sequence number below 2**31.
      if (space === -1 || !/^\d{1,10}$/.test(seq) || Number(seq) >= 2 ** 31 || !TOKEN.test(method)) fail('bad CSeq');
      headers.cseq = { seq: Number(seq), method: method.toUpperCase() };
      return;
    }
    case 'content-length':
      if (!NUMBER.test(value) || Number(value) > SIP_LIMITS.maxMessageBytes) fail('bad Content-Length');
      headers[name] = Number(value);
      return;
    default: {
      const before = headers[name];
      headers[name] = typeof before === 'string' ? `${before}, ${value}` : value;
    }
  }
}

/** The start line and headers of `head`, with the headers every SIP message has (else `SipParseError`). */
function parseHead(head: string): SipMessage {
  const lines = headerLines(head);
  const message: Partial<SipMessage> = {};
  parseStartLine(lines[0] ?? '', message);
  const headers: Record<string, unknown> = {};
  const listItems = { count: 0 };
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) fail('bad header line');
    const raw = line.slice(0, colon).trim().toLowerCase();
    if (!TOKEN.test(raw)) fail('bad header name');
    setHeader(headers, COMPACT[raw] ?? raw, line.slice(colon + 1).trim(), listItems);
  }
  if (!Array.isArray(headers.via) || !headers.via.length || !headers.to || !headers.from || !headers['call-id'] || !headers.cseq) {
    fail('missing Via, To, From, Call-ID or CSeq');
  }
  return { ...message, headers: headers as SipHeaders } as SipMessage;
}

/** One whole message (a datagram): a body shorter than its Content-Length is refused, bytes past it ignored (§18.3). */
export function parseSip(data: Buffer | string): SipMessage {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  if (text.length > SIP_LIMITS.maxMessageBytes) fail('message too large', true);
  const split = headerEnd(text);
  if (!split) fail('no end of headers');
  const message = parseHead(text.slice(0, split.end));
  const body = text.slice(split.body);
  const length = message.headers['content-length'] ?? body.length;
  if (body.length < length) fail('body shorter than Content-Length');
  if (length > 0) message.content = body.slice(0, length);
  return message;
}

/**
 * SIP over a stream (TCP, TLS): messages framed by `Content-Length`, which must be there (RFC 3261 §18.3) and
 * within the limit. Bytes are looked at once each while the headers are awaited; a stream that does not make a
 * message within the limit is refused (`SipParseError`), as is one whose message does not parse.
 */
export class SipStreamParser {
  private buffer = '';
  /** How far the buffer was searched for the end of headers. */
  private searched = 0;
  /** A message whose headers are parsed, awaiting the rest of its body. */
  private pending: { message: SipMessage; body: number; total: number } | undefined;

  constructor(private readonly onMessage: (message: SipMessage) => void) {}

  /** `chunk`: latin1 text, one character per byte. */
  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      // CRLF keep-alives between messages (RFC 5626 §3.5.1).
      let start = 0;
      while (this.buffer[start] === '\r' || this.buffer[start] === '\n') start += 1;
      if (start) {
        this.buffer = this.buffer.slice(start);
        this.searched = Math.max(0, this.searched - start);
      }
      this.pending ??= this.readHead();
      if (!this.pending) return;
      const { message, body, total } = this.pending;
      if (this.buffer.length < total) return;
      if (total > body) message.content = this.buffer.slice(body, total);
      this.buffer = this.buffer.slice(total);
      this.searched = 0;
      this.pending = undefined;
      this.onMessage(message);
    }
  }

  /** The next message's headers once they are all in, else undefined (searching on from where it stopped). */
  private readHead(): { message: SipMessage; body: number; total: number } | undefined {
    const split = headerEnd(this.buffer, Math.max(0, this.searched - 3));
    if (!split) {
      if (this.buffer.length > SIP_LIMITS.maxMessageBytes) fail('headers too large', true);
      this.searched = this.buffer.length;
      return undefined;
    }
    const message = parseHead(this.buffer.slice(0, split.end));
    const length = message.headers['content-length'];
    if (length === undefined) fail('no Content-Length on a stream');
    const total = split.body + length;
    if (total > SIP_LIMITS.maxMessageBytes) fail('message too large', true);
    return { message, body: split.body, total };
  }
}
