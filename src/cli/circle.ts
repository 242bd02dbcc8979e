#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { API_SCOPES, ApiKeys, type ApiScope } from '../api/api-keys.js';

/**
 * The operators' command line over the server API (`/api/v1` on the internal listener). The API's URL and key come
 * from CIRCLE_API_URL (default http://127.0.0.1:9464/api/v1) and CIRCLE_API_KEY; answers are printed as JSON.
 */
const USAGE = `usage: circlectl <command>
  api-key <name> [--scopes read,moderate,mint,mint-staff] [--rooms ID|PREFIX*]
                                         a new API key, and the api.keys entry that accepts it (by default
                                         read, moderate and mint for every room; mint-staff, tokens for
                                         facilitators and co-facilitators, only when asked for)
  token <roomId> --name N [--role R] [--participant-id P] [--ttl SECONDS]
  rooms [--names]                        this node's live rooms
  room <roomId> [--names]
  end <roomId>
  mute <roomId> <participantId>
  remove <roomId> <participantId>`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    role: { type: 'string' },
    'participant-id': { type: 'string' },
    ttl: { type: 'string' },
    names: { type: 'boolean', default: false },
    scopes: { type: 'string' },
    rooms: { type: 'string' },
  },
});
const [command, ...args] = positionals;

async function api(method: string, path: string, body?: unknown): Promise<void> {
  const base = process.env.CIRCLE_API_URL ?? 'http://127.0.0.1:9464/api/v1';
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${process.env.CIRCLE_API_KEY ?? ''}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  console.log(JSON.stringify(await response.json(), null, 2));
  if (!response.ok) process.exitCode = 1;
}

const room = (id: string | undefined) => `/rooms/${encodeURIComponent(id ?? '')}`;
const namesQuery = values.names ? '?names=true' : '';

switch (command) {
  case 'api-key': {
    const scopes = (values.scopes ?? 'read,moderate,mint').split(',') as ApiScope[];
    const unknown = scopes.filter((scope) => !API_SCOPES.includes(scope));
    if (unknown.length || !/^[A-Za-z0-9_.-]{0,64}\*?$/.test(values.rooms ?? '*')) {
      console.error(`circle: scopes are ${API_SCOPES.join(', ')}; rooms is a room id or a prefix ending in *`);
      process.exitCode = 2;
      break;
    }
    const key = randomBytes(32).toString('base64url');
    console.log(JSON.stringify({ key, configEntry: ApiKeys.create(args[0] ?? 'clinic', key, scopes, values.rooms ?? '*') }, null, 2));
    break;
  }
  case 'token':
    await api('POST', `${room(args[0])}/tokens`, {
      name: values.name,
      ...(values.role ? { role: values.role } : {}),
      ...(values['participant-id'] ? { participantId: values['participant-id'] } : {}),
      ...(values.ttl ? { ttlSeconds: Number(values.ttl) } : {}),
    });
    break;
  case 'rooms':
    await api('GET', `/rooms${namesQuery}`);
    break;
  case 'room':
    await api('GET', `${room(args[0])}${namesQuery}`);
    break;
  case 'end':
    await api('POST', `${room(args[0])}/end`);
    break;
  case 'mute':
  case 'remove':
    await api('POST', `${room(args[0])}/participants/${encodeURIComponent(args[1] ?? '')}/${command}`);
    break;
  default:
    console.error(USAGE);
    process.exitCode = 2;
}
