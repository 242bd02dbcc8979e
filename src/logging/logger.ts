import { createHash } from 'node:crypto';
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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'circle' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/**
 * A stable, non-reversible reference to a room or participant id for logs. Clinics choose those ids; a
 * careless one could carry a name, so logs never hold them verbatim. The same id gives the same ref on every
 * node, so an SRE can still follow one room across log lines (`node -e` with the same hash finds a ref).
 */
export function logRef(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}
