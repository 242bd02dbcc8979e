/**
 * SIP messages (RFC 3261 §7, §20, §25) as Circle holds and writes them, and the bounds its parser
 * (`sip-parse.ts`) keeps to.
 */

export interface NameAddr {
  /** The display name as written (quoted or not), if any. */
  name?: string;
  uri: string;
  params: Record<string, string | null | undefined>;
}

export interface Via {
  version: string;
  protocol: string;
  host: string;
  port?: number;
  params: Record<string, string | number | null | undefined>;
}

export interface SipHeaders {
  via: Via[];
  to: NameAddr;
  from: NameAddr;
  'call-id': string;
  cseq: { seq: number; method: string };
  contact?: NameAddr[] | '*';
  'record-route'?: NameAddr[];
  route?: NameAddr[];
  'content-type'?: string;
  'content-length'?: number;
  [header: string]: unknown;
}

export interface SipMessage {
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  version: string;
  headers: SipHeaders;
  /** The body, one character per byte (latin1), as it travels. */
  content?: string;
}

export const SIP_LIMITS = {
  /** Larger than any INVITE a trunk sends; anything bigger is not a call. */
  maxMessageBytes: 16_384,
  maxHeaderLines: 64,
  /** Items across all lines of one list header (Via, Route, Record-Route, Contact). */
  maxListItems: 32,
} as const;

export class SipParseError extends Error {
  constructor(
    message: string,
    /** Refused for its size (a limit), not its form. */
    readonly tooLarge = false,
  ) {
    super(message);
    this.name = 'SipParseError';
  }
}

const HEADER_NAMES: Record<string, string> = { 'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate' };

function headerName(name: string): string {
  return HEADER_NAMES[name] ?? name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

function writeParams(params: Record<string, string | number | null | undefined>): string {
  let text = '';
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    text += value === null ? `;${name}` : `;${name}=${value}`;
  }
  return text;
}

function writeNameAddr(address: NameAddr): string {
  return `${address.name ? `${address.name} ` : ''}<${address.uri}>${writeParams(address.params)}`;
}

function writeHeader(name: string, value: unknown): string {
  switch (name) {
    case 'via':
      return (value as Via[]).map((via) => `Via: SIP/${via.version || '2.0'}/${via.protocol.toUpperCase()} ${via.host}${via.port !== undefined ? `:${via.port}` : ''}${writeParams(via.params)}\r\n`).join('');
    case 'to':
    case 'from':
      return `${headerName(name)}: ${writeNameAddr(value as NameAddr)}\r\n`;
    case 'contact':
    case 'route':
    case 'record-route': {
      if (value === '*') return 'Contact: *\r\n';
      const list = value as NameAddr[];
      return list.length ? `${headerName(name)}: ${list.map(writeNameAddr).join(', ')}\r\n` : '';
    }
    case 'cseq': {
      const { seq, method } = value as { seq: number; method: string };
      return `CSeq: ${seq} ${method}\r\n`;
    }
    default:
      return `${headerName(name)}: ${String(value)}\r\n`;
  }
}

/** The message as it goes on the wire (latin1 text); Content-Length is always written, from the body. */
export function stringifySip(message: SipMessage): string {
  let text = message.status !== undefined ? `SIP/${message.version || '2.0'} ${message.status} ${message.reason ?? ''}\r\n` : `${message.method} ${message.uri} SIP/${message.version || '2.0'}\r\n`;
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined || name === 'content-length') continue;
    text += writeHeader(name, value);
  }
  const content = message.content ?? '';
  return `${text}Content-Length: ${content.length}\r\n\r\n${content}`;
}

/** A response to `request` (its Via, To, From, Call-ID and CSeq), with `extension`'s headers and body. */
export function makeResponse(
  request: SipMessage,
  status: number,
  reason: string,
  extension: { headers?: Record<string, unknown>; content?: string } = {},
): SipMessage {
  const { via, to, from, cseq } = request.headers;
  return {
    status,
    reason,
    version: request.version,
    headers: { via, to, from, 'call-id': request.headers['call-id'], cseq, ...extension.headers } as SipHeaders,
    ...(extension.content !== undefined ? { content: extension.content } : {}),
  };
}
