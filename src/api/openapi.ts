import { OpenAPIRegistry, OpenApiGeneratorV3, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import * as api from './schemas.js';

// zod-to-openapi reads its metadata through a method it adds to zod's prototype; added once, before any use.
extendZodWithOpenApi(z);

/** The API's OpenAPI 3.0 document, derived from the schemas the server parses and answers with. */
export function openApiDocument() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'one of `api.keys`, with its scopes (read, moderate, mint, mint-staff) and rooms; each operation names the scope it needs (403 without it), and a key makes at most `api.requestsPerMinutePerKey` requests a minute (429 past it)',
  });
  const error = registry.register('Error', api.apiError);
  const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });
  const failures = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, { description: 'refused', ...json(error) }]));
  const liveRoom = registry.register('LiveRoom', api.liveRoom);
  const session = registry.register('Session', api.sessionDescription);
  const operations = [
    { method: 'put', path: '/sessions/{roomId}', operationId: 'setUpSession', scope: 'moderate', summary: 'Create or change a session before it starts: waiting room, floor, turn length, size', params: api.roomPath, body: registry.register('SessionSetup', api.sessionSetup), answer: session, failures: [400, 401, 503] },
    { method: 'get', path: '/sessions/{roomId}', operationId: 'describeSession', scope: 'read', summary: 'A session wherever it runs or ran: its settings and state', params: api.roomPath, answer: session, failures: [401, 404, 503] },
    { method: 'post', path: '/rooms/{roomId}/tokens', operationId: 'mintToken', scope: 'mint', summary: 'Mint a join token for one participant', params: api.roomPath, body: registry.register('MintTokenRequest', api.mintTokenRequest), answer: registry.register('MintTokenResponse', api.mintTokenResponse), failures: [400, 401] },
    { method: 'post', path: '/rooms/{roomId}/dial-in', operationId: 'createDialIn', scope: 'mint', summary: 'A phone-only seat: the PIN someone without a browser keys after calling the clinic number (503 when dial-in is off)', params: api.roomPath, body: registry.register('DialInRequest', api.dialInRequest), answer: registry.register('DialInResponse', api.dialInResponse), failures: [400, 401, 503] },
    { method: 'get', path: '/rooms', operationId: 'listRooms', scope: 'read', summary: "The cluster's live rooms and who is in them (ids; names with names=true), from every node that answers", query: api.namesQuery, answer: z.object({ rooms: z.array(liveRoom), unreachableNodes: api.liveRooms.shape.unreachableNodes }), failures: [400, 401, 503] },
    { method: 'get', path: '/rooms/{roomId}', operationId: 'describeRoom', scope: 'read', summary: 'One live room, wherever it runs', params: api.roomPath, query: api.namesQuery, answer: liveRoom, failures: [400, 401, 404, 503] },
    { method: 'get', path: '/rooms/{roomId}/report', operationId: 'sessionReport', scope: 'read', summary: "A session's attendance and link quality (final once it ended; as it stands while it runs)", params: api.roomPath, answer: registry.register('SessionReport', api.sessionReport), failures: [401, 404, 503] },
    { method: 'post', path: '/rooms/{roomId}/end', operationId: 'endRoom', scope: 'moderate', summary: 'End a session, wherever it runs', params: api.roomPath, answer: api.endResponse, failures: [401, 404, 503] },
    { method: 'post', path: '/rooms/{roomId}/participants/{participantId}/mute', operationId: 'muteParticipant', scope: 'moderate', summary: 'Hard-mute a participant (audited as admin)', params: api.participantPath, answer: api.done, failures: [401, 404, 503] },
    { method: 'post', path: '/rooms/{roomId}/participants/{participantId}/remove', operationId: 'removeParticipant', scope: 'moderate', summary: 'Remove a participant for the rest of the session (audited as admin)', params: api.participantPath, answer: api.done, failures: [401, 404, 503] },
  ] as const;
  for (const op of operations) {
    registry.registerPath({
      method: op.method,
      path: op.path,
      operationId: op.operationId,
      summary: op.summary,
      description:
        op.operationId === 'mintToken'
          ? 'Needs the `mint` scope for the room; tokens for facilitators and co-facilitators need `mint-staff` too.'
          : `Needs the \`${op.scope}\` scope${op.path.includes('{roomId}') ? ' for the room' : ' (rooms the key does not cover are left out)'}.`,
      'x-circle-scope': op.scope,
      security: [{ [bearer.name]: [] }],
      request: {
        ...('params' in op ? { params: op.params } : {}),
        ...('query' in op ? { query: op.query } : {}),
        ...('body' in op ? { body: json(op.body) } : {}),
      },
      responses: { 200: { description: 'done', ...json(op.answer) }, ...failures(...op.failures, 403, 429) },
    });
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'Circle server API', version: '1', description: "For the clinic's systems; on the internal listener under /api/v1." },
    servers: [{ url: '/api/v1' }],
  });
}
