import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * A safety net, not the policy: code never passes names or tokens to the logger in the first place. If one
 * slips into an object that gets logged, these paths are censored.
 */
const REDACTED_PATHS = [
  'token',
  '*.token',
  'resumeToken',
  '*.resumeToken',
  'displayName',
  '*.displayName',
  'name',
  '*.name',
  'auth',
  '*.auth',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** Log fields that name a room, a participant or a client's address: written as keyed references, never verbatim. */
const REFERENCED_FIELDS = ['room', 'participant', 'address'] as const;

/**
 * `logRef` turns an id into its reference (`PrivacyKeys.logRef`): clinics choose room and participant ids, and a
 * careless one could carry a name or a date, so logs never hold them verbatim. Code logs `{ room: roomId }`; the
 * serializers below write the reference, the same on every node sharing `privacy.secret`, so an SRE can still
 * follow one room across log lines and nodes.
 */
export function createLogger(level: string, logRef: (id: string) => string, destination?: DestinationStream): Logger {
  const asRef = (value: unknown) => (typeof value === 'string' ? logRef(value) : '[not an id]');
  return pino(
    {
      level,
      base: { service: 'circle' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: Object.fromEntries(REFERENCED_FIELDS.map((field) => [field, asRef])),
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
