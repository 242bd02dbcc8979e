import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const configSchema = z
  .object({
    http: z
      .object({
        host: z.string().min(1),
        port,
        publicDir: z.string().min(1),
      })
      .strict(),
    logging: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      })
      .strict(),
    auth: z
      .object({
        tokenSecret: z.string().min(32, 'must be at least 32 characters'),
        audience: z.string().min(1),
        devTokens: z.boolean(),
        devTokenTtlSeconds: z.number().int().min(60).max(86_400),
      })
      .strict(),
    mediasoup: z
      .object({
        /** 0 means one worker per CPU core. */
        numWorkers: z.number().int().min(0).max(256),
        logLevel: z.enum(['debug', 'warn', 'error', 'none']),
        listenIp: z.string().ip(),
        announcedIp: z.string().min(1).optional(),
        /** Worker i listens on base + i (UDP and TCP); 0 lets each worker pick a free port. */
        webRtcServerBasePort: port,
        enableTcp: z.boolean(),
        initialAvailableOutgoingBitrate: z.number().int().min(100_000),
        workerRespawnDelayMs: z.number().int().min(0),
      })
      .strict(),
    rooms: z
      .object({
        emptyRoomTimeoutMs: z.number().int().min(0),
        maxParticipantsPerRoom: z.number().int().min(2).max(200),
        requireAdmission: z.boolean(),
        observersVisibleToClients: z.boolean(),
        facilitatorAbsenceMs: z.number().int().min(0),
        recordRetentionMs: z.number().int().min(1000),
      })
      .strict(),
    sessions: z
      .object({
        /** How long a dropped participant's seat is kept for them (role, admission, locks, hand, floor). */
        resumeGraceMs: z.number().int().min(0).max(600_000),
      })
      .strict(),
    floor: z
      .object({
        /** 0: speaking turns are untimed unless a facilitator sets a limit. */
        defaultTurnSeconds: z.number().int().min(0).max(3600),
        turnWarningSeconds: z.number().int().min(0).max(600),
      })
      .strict(),
    admin: z
      .object({
        /** Bearer secret for the admin HTTP endpoints (the audit log). */
        bearerSecret: z.string().min(32, 'must be at least 32 characters'),
      })
      .strict(),
    signaling: z
      .object({
        maxPayloadBytes: z.number().int().min(1024),
        maxHttpBufferBytes: z.number().int().min(4096),
        rateLimitPerSecond: z.number().positive(),
        rateLimitBurst: z.number().int().min(1),
        joinTimeoutMs: z.number().int().min(100),
        pingIntervalMs: z.number().int().min(100),
        pingTimeoutMs: z.number().int().min(100),
      })
      .strict(),
  })
  .strict();

export type CircleConfig = z.infer<typeof configSchema>;
