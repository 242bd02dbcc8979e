import fc from 'fast-check';
import { ZodObject, type ZodTypeAny } from 'zod';
import { requestSchemas, type RequestName } from '../src/protocol/schemas.js';

/** Arbitrary values of the kinds JSON carries, deep and wide enough to reach nested schemas. */
const anyJson = fc.jsonValue({ maxDepth: 4 });

/** Objects with the schema's own keys, each holding an arbitrary value (or, sometimes, missing). */
function shapedLike(schema: ZodTypeAny): fc.Arbitrary<unknown> {
  if (!(schema instanceof ZodObject)) return anyJson;
  const keys = Object.keys(schema.shape as Record<string, unknown>);
  return fc.record(Object.fromEntries(keys.map((key) => [key, fc.oneof(anyJson, fc.string(), fc.integer(), fc.constant(null))])), { requiredKeys: [] });
}

/**
 * Payloads for one request (fast-check): anything JSON can carry, and objects shaped like the request's schema
 * holding anything. The fuzz test (test/integration/fuzz.test.ts) and the abuse benchmark (load/abuse.ts) share it.
 */
export const requestPayloads = (name: RequestName): fc.Arbitrary<unknown> => fc.oneof(anyJson, shapedLike(requestSchemas[name]));

/** Requests that would end a fuzzer's seat or the session: sent by a seatless connection only. */
export const SEAT_ENDING: readonly RequestName[] = ['leave', 'end', 'join', 'resume'];
