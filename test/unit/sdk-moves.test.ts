// The SDK's connection follows MOVED only to the origins it was given (besides its entry's own). No server: the
// asks are fakes, and the sockets point at a closed loopback port.
import { afterEach, expect, it } from 'vitest';
import { Connection } from '../../src/client/connection.js';
import { RequestError } from '../../src/client/request.js';
import type { JoinResult } from '../../src/protocol/events.js';

const opened: Connection[] = [];
afterEach(() => opened.splice(0).forEach((connection) => connection.close()));

function connection(allowedOrigins?: string[]) {
  const urls: string[] = [];
  const made = new Connection('http://127.0.0.1:9', (socket) => urls.push(new URL((socket.io as unknown as { uri: string }).uri).host), allowedOrigins);
  opened.push(made);
  return { made, urls };
}

const moved = (location: string) => new RequestError({ code: 'MOVED', message: 'moved', location });
const joined = { participantId: 'ana' } as JoinResult;

it('follows MOVED to a listed origin', async () => {
  const { made, urls } = connection(['http://127.0.0.2:7']);
  let asks = 0;
  const result = await made.followingMoves(async () => {
    asks += 1;
    if (asks === 1) throw moved('http://127.0.0.2:7');
    return joined;
  });
  expect(result).toBe(joined);
  expect(urls).toEqual(['127.0.0.1:9', '127.0.0.2:7']);
});

it('refuses MOVED to an origin it was not given, and stays where it is', async () => {
  const { made, urls } = connection(['http://127.0.0.2:7']);
  await expect(made.followingMoves(async () => Promise.reject(moved('https://elsewhere.example.org')))).rejects.toMatchObject({ code: 'MOVED' });
  expect(urls).toEqual(['127.0.0.1:9']);
});

it('without a list, follows wherever the server says (the web app relies on its content security policy)', async () => {
  const { made, urls } = connection();
  let asks = 0;
  await made.followingMoves(async () => {
    asks += 1;
    if (asks === 1) throw moved('http://127.0.0.3:5');
    return joined;
  });
  expect(urls).toEqual(['127.0.0.1:9', '127.0.0.3:5']);
});
