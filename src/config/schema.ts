import { E2EE_DIAL_IN, E2EE_MODES } from '../protocol/e2ee.js';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
/** An API key entry: `name:sha256hex`, then optionally `:scope+scope` and `:rooms` (an id, or a prefix ending in `*`). */
/** A join-token signing key: its id (the tokens' `kid`), a colon, the secret (at least 32 characters). */
const SIGNING_KEY_ENTRY = /^[A-Za-z0-9_.-]{1,64}:.{32,}$/;
const API_KEY_ENTRY = /^[a-z0-9][a-z0-9-]{0,31}:[0-9a-f]{64}(:(read|moderate|mint|mint-staff)(\+(read|moderate|mint|mint-staff))*(:[A-Za-z0-9_.-]{0,64}\*?)?)?$/;

export const configSchema = z
  .object({
    http: z
      .object({
        host: z.string().min(1),
        port,
        publicDir: z.string().min(1),
        /** Serve the web app from this port; off, the port serves signaling (and demo tokens, if on) only. */
        serveWebApp: z.boolean(),
        /** PEM certificate (chain) and key: set, the port speaks HTTPS itself (a node's own address for `MOVED`). */
        tlsCertFile: z.string(),
        tlsKeyFile: z.string(),
      })
      .strict()
      .refine((h) => (h.tlsCertFile === '') === (h.tlsKeyFile === ''), { message: 'HTTPS needs both tlsCertFile and tlsKeyFile', path: ['tlsKeyFile'] }),
    logging: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      })
      .strict(),
    auth: z
      .object({
        tokenSecret: z.string().min(32, 'must be at least 32 characters'),
        /** `kid:secret` entries: a token's `kid` picks its key; the first signs. For rotating secrets. */
        signingKeys: z.array(z.string().regex(SIGNING_KEY_ENTRY, 'must be kid:secret, the id 1-64 of A-Z a-z 0-9 _ . -, the secret at least 32 characters')),
        audience: z.string().min(1),
        /** The `iss` every join token must carry: the clinic's token-minting backend. */
        issuer: z.string().min(1),
        /** The longest `exp − iat` accepted. */
        maxTokenLifetimeSeconds: z.number().int().min(60).max(7 * 86_400),
        devTokens: z.boolean(),
        devTokenTtlSeconds: z.number().int().min(60).max(86_400),
      })
      .strict()
      .refine((a) => a.devTokenTtlSeconds <= a.maxTokenLifetimeSeconds, { message: 'needs devTokenTtlSeconds <= maxTokenLifetimeSeconds' }),
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
        /** Rooms one node opens at most; past it a join for a new room is `UNAVAILABLE` (another node takes it). */
        maxRoomsPerNode: z.number().int().min(1),
        maxParticipantsPerRoom: z.number().int().min(2).max(200),
        requireAdmission: z.boolean(),
        observersVisibleToClients: z.boolean(),
        /** Whether each person's speaking time and turns are counted for the staff and the report. */
        talkBalance: z.boolean(),
        facilitatorAbsenceMs: z.number().int().min(0),
        /** Moderation requests (mute, lock, admit, floor…) each staff member may make per second, and at once. */
        moderationPerSecond: z.number().min(0.1),
        moderationBurst: z.number().int().min(1),
        recordRetentionMs: z.number().int().min(1000),
      })
      .strict(),
    sessions: z
      .object({
        /** How long a dropped participant's seat is kept for them (role, admission, locks, hand, floor). */
        resumeGraceMs: z.number().int().min(0).max(600_000),
      })
      .strict(),
    e2ee: z
      .object({
        /** End-to-end encryption: off, or the admitted members agree keys with MLS (preferred, required). */
        mode: z.enum(E2EE_MODES),
        /** Whether an encrypted session takes phone calls unless it says otherwise (off, allowed). */
        dialIn: z.enum(E2EE_DIAL_IN),
      })
      .strict(),
    messages: z
      .object({
        /** Messages each participant may send per second, sustained, and at once: a person typing, never a script. */
        perSecond: z.number().positive().max(100),
        burst: z.number().int().min(1).max(1000),
      })
      .strict(),
    floor: z
      .object({
        /** 0: speaking turns are untimed unless a facilitator sets a limit. */
        defaultTurnSeconds: z.number().int().min(0).max(3600),
        turnWarningSeconds: z.number().int().min(0).max(600),
      })
      .strict(),
    quality: z
      .object({
        /** How often each participant's link is read from mediasoup. */
        sampleIntervalMs: z.number().int().min(200).max(10_000),
        /** How often a quiet link (no video either way, settled, clean) is read: its transports alone. */
        quietSampleIntervalMs: z.number().int().min(200).max(60_000),
        audioOnlyLoss: z.number().min(0).max(1),
        audioOnlyBelowBps: z.number().int().min(0),
        reduceLoss: z.number().min(0).max(1),
        recoverLoss: z.number().min(0).max(1),
        recoverAboveBps: z.number().int().min(0),
        degradeAfterMs: z.number().int().min(0),
        recoverAfterMs: z.number().int().min(0),
        stepUpAfterMs: z.number().int().min(0),
        failedRecoveryWindowMs: z.number().int().min(0),
        maxRecoverAfterMs: z.number().int().min(0),
        /** Round-trip time above which a connection counts as fair rather than good. */
        fairRttMs: z.number().int().min(0),
        /**
         * Send each video at the smallest layer that fills the tile the receiving page draws it in, nothing while it is
         * hidden, and by priority (speaker, staff, the rest) under a downlink too small for all. Off: every video at
         * the top layer the link carries.
         */
        adaptiveVideo: z.boolean(),
      })
      .strict()
      .refine((q) => q.recoverLoss <= q.reduceLoss && q.reduceLoss <= q.audioOnlyLoss, {
        message: 'needs recoverLoss <= reduceLoss <= audioOnlyLoss',
      })
      .refine((q) => q.recoverAboveBps >= q.audioOnlyBelowBps, { message: 'needs recoverAboveBps >= audioOnlyBelowBps' })
      .refine((q) => q.quietSampleIntervalMs >= q.sampleIntervalMs, { message: 'needs quietSampleIntervalMs >= sampleIntervalMs' }),
    privacy: z
      .object({
        /**
         * Keys the log references of rooms and participants, the store's key names, and the sealing (AES-256-GCM) of
         * everything written to the store. The same on every node of a cluster; changing it orphans stored state.
         */
        secret: z.string().min(32, 'must be at least 32 characters'),
      })
      .strict(),
    store: z
      .object({
        /**
         * Empty: state in this process (one node). A redis:// URL: state shared by every node using it; rediss://
         * for TLS.
         */
        redisUrl: z.union([z.literal(''), z.string().url().refine((url) => /^rediss?:\/\//.test(url), 'must be redis:// or rediss://')]),
        /** Redis AUTH password (kept out of the URL so it can come from its own secret); empty: none. */
        redisPassword: z.string(),
        /** A PEM file of the CA that signed Redis's TLS certificate, when it is not a public one; empty: the system's. */
        redisTlsCaFile: z.string(),
        /** How often changed room state is written to Redis. */
        snapshotIntervalMs: z.number().int().min(50).max(60_000),
      })
      .strict(),
    cluster: z
      .object({
        /** This node's id in the room directory; empty: hostname plus a random suffix. */
        nodeId: z.string().max(128),
        /** Where clients reach this node's signaling; empty: http://<announcedIp>:<port>. */
        publicUrl: z.union([z.literal(''), z.string().url()]),
        /** A room's lease in the directory: a dead node's rooms move after at most this long. */
        leaseMs: z.number().int().min(1000).max(300_000),
        /**
         * The origins (scheme://host:port) of the other nodes a client may be sent to with `MOVED`, and that the web
         * app may connect to: a directory entry naming anything else is not announced.
         */
        allowedOrigins: z.array(z.string().url().refine((url) => new URL(url).origin === url, 'must be an origin, e.g. https://node-a.example.org')),
      })
      .strict(),
    shutdown: z
      .object({
        /** On SIGTERM, how long rooms may carry on before their participants are moved to another node. */
        drainTimeoutMs: z.number().int().min(0).max(86_400_000),
      })
      .strict(),
    load: z
      .object({
        /**
         * Load-test bots may open plain RTP transports (createBotTransport). For benchmarks only: refused in
         * production, since they skip ICE and DTLS.
         */
        botTransports: z.boolean(),
      })
      .strict(),
    admin: z
      .object({
        /** Bearer secret for the admin HTTP endpoints (the audit log). */
        bearerSecret: z.string().min(32, 'must be at least 32 characters'),
        /** The internal listener (health, readiness, metrics, admin): its own address, never the public one. */
        host: z.string().min(1),
        port,
      })
      .strict(),
    phone: z
      .object({
        /** The SIP bridge: callers key a seat's PIN and take it by phone. */
        enabled: z.boolean(),
        sipHost: z.string().ip(),
        /** 0 picks a free port (tests); the bound one is logged. */
        sipPort: port,
        tcp: z.boolean(),
        /**
         * SIP over TLS (port 0: off), for trunks that offer it; only a call that came over TLS may use SRTP (SDES
         * keys travel in its SDP, which must not cross a network in clear).
         */
        tls: z
          .object({
            port,
            certFile: z.string(),
            keyFile: z.string(),
            /**
             * CA certificate(s) that sign the trunks' client certificates: set, a TLS connection without a certificate
             * from them is refused in its handshake (the trunk is authenticated, not only its address). Empty: none asked.
             */
            clientCaFile: z.string(),
          })
          .strict()
          .refine((t) => t.port === 0 || (t.certFile !== '' && t.keyFile !== ''), { message: 'SIP over TLS needs certFile and keyFile' }),
        /** The address put in SDP and Contact when `sipHost` is not what the trunk reaches (NAT); empty: `sipHost`. */
        announcedAddress: z.union([z.literal(''), z.string().ip()]),
        rtpHost: z.string().ip(),
        rtpPortMin: z.number().int().min(1024).max(65535),
        rtpPortMax: z.number().int().min(1024).max(65535),
        /** The clinic's trunk number, shown to participants next to their PIN; empty: no number is shown. */
        displayNumber: z.string().max(32).regex(/^[0-9 +()-]*$/, 'digits, spaces, + ( ) - only'),
        /** The spoken prompts (8 kHz mu-law files from scripts/render-prompts.sh). */
        promptsDir: z.string().min(1),
        /** CIDR blocks of the clinic's SIP trunk (and any edge proxy): everything else is dropped unread. */
        allowedSources: z.array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, 'must be a CIDR block such as 203.0.113.0/24')),
        /**
         * CIDR blocks a call's media (its SDP's `c=` address) may be at: Circle sends RTP nowhere else. Empty: the
         * networks of `allowedSources` (a trunk whose media gateways sit elsewhere lists them here).
         */
        allowedMediaNetworks: z.array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, 'must be a CIDR block such as 203.0.113.0/24')),
        messagesPerSecondPerSource: z.number().positive().max(10_000),
        messagesBurstPerSource: z.number().int().min(1).max(100_000),
        /** Digits in a PIN: the session's code (4), then the seat's own; docs/security.md computes what guessing gains. */
        pinLength: z.number().int().min(12).max(18),
        pinLifetimeSeconds: z.number().int().min(60).max(7 * 86_400),
        /** Wrong PINs for one session per hour, across the cluster; past it, that session's entries wait. */
        pinFailuresPerSessionPerHour: z.number().int().min(1).max(10_000),
        /** Wrong PINs per minute across the cluster for unknown sessions and sessions guessed at this hour; past it, those wait. */
        pinFailuresPerMinute: z.number().int().min(1).max(100_000),
        /** Staff are told once their session has this many wrong PINs within the hour. */
        pinFailureNoticeAt: z.number().int().min(1).max(10_000),
        /** How long a call rings (180 Ringing) before it is answered; 0 answers at once. */
        ringMs: z.number().int().min(0).max(10_000),
        /** A caller who keys nothing for this long is hung up on. */
        digitTimeoutMs: z.number().int().min(1000).max(120_000),
        /** The whole PIN prompt, every try included: a caller not seated by then is hung up on, keying or not. */
        pinEntryTimeoutMs: z.number().int().min(1000).max(600_000),
        /** No RTP from a caller for this long: the call is treated as dropped (the seat is held as for a browser). */
        rtpTimeoutMs: z.number().int().min(500).max(120_000),
        maxCalls: z.number().int().min(1).max(10_000),
        /** Calls answered and not yet acknowledged at once (a blind INVITE never is); past it, new calls get 503. */
        maxUnacknowledgedCalls: z.number().int().min(1).max(10_000),
      })
      .strict()
      .refine((p) => p.rtpPortMin <= p.rtpPortMax, { message: 'needs rtpPortMin <= rtpPortMax' }),
    turn: z
      .object({
        /**
         * Shared with the TURN relay (coturn: `use-auth-secret`, `static-auth-secret`); Circle signs each client's
         * short-lived credentials with it. Empty: no relay is offered (a warning at start), never a default secret.
         */
        secret: z.union([z.literal(''), z.string().min(32, 'must be at least 32 characters')]),
        /** The relay's host name (its TLS certificate's name) or address, as clients reach it; empty: `mediasoup.announcedIp`. */
        host: z.string(),
        /** TURN over UDP and TCP (3478 by convention); 0: neither is offered. */
        port,
        /** TURN over TLS, for networks that let only HTTPS out (443); 0: none. */
        tlsPort: port,
        /** How long a client's credentials work: longer than the longest session (an allocation is refreshed with them). */
        credentialTtlSeconds: z.number().int().min(1).max(7 * 86_400),
      })
      .strict()
      .refine((t) => t.secret === '' || t.port > 0 || t.tlsPort > 0, { message: 'needs port or tlsPort when secret is set' }),
    check: z
      .object({
        /** Pre-session connection checks open at once on this node; past it a new one is refused (`UNAVAILABLE`). */
        maxConcurrent: z.number().int().min(0).max(10_000),
        /** Checks one client address may start per minute. */
        perAddressPerMinute: z.number().int().min(1).max(10_000),
        /** A check closes by itself after this long. */
        lifetimeMs: z.number().int().min(1000).max(120_000),
      })
      .strict(),
    api: z
      .object({
        /**
         * The clinic systems' API keys, each `name:sha256` (hex of the key; the key itself is never configured), then
         * optionally `:scope+scope` (read, moderate, mint, mint-staff; default read+moderate+mint) and `:rooms` (a room
         * id, or a prefix ending in `*`; default every room). Several at once; remove one to revoke it. Empty: the API
         * answers 401 to everything.
         */
        keys: z.array(z.string().regex(API_KEY_ENTRY, 'must be name:sha256hex[:scope+scope[:rooms]] (npm run -s circlectl -- api-key <name> makes one)')),
        /** Requests a minute one key may make (a burst of as many); past it, 429. */
        requestsPerMinutePerKey: z.number().int().min(1).max(1_000_000),
      })
      .strict(),
    webhooks: z
      .object({
        /** The clinic's endpoint for session events and attendance reports; empty: no webhooks. */
        url: z.union([z.literal(''), z.string().url()]),
        /** Signs each delivery (HMAC-SHA256); shared with the receiver. */
        secret: z.string(),
        timeoutMs: z.number().int().min(100).max(60_000),
        maxAttempts: z.number().int().min(1).max(20),
        retryBaseMs: z.number().int().min(10).max(600_000),
        queueLimit: z.number().int().min(1).max(1_000_000),
      })
      .strict()
      .refine((w) => w.url === '' || w.secret.length >= 32, { message: 'needs a secret of at least 32 characters when url is set', path: ['secret'] }),
    signaling: z
      .object({
        maxPayloadBytes: z.number().int().min(1024),
        /** Unknown events one connection may send before it is closed. */
        maxUnknownEvents: z.number().int().min(0),
        /** Refusals logged per second across the node; the rest are only counted, so a flood cannot fill the disk. */
        refusalLogsPerSecond: z.number().int().min(1),
        maxHttpBufferBytes: z.number().int().min(4096),
        rateLimitPerSecond: z.number().positive(),
        rateLimitBurst: z.number().int().min(1),
        joinTimeoutMs: z.number().int().min(100),
        pingIntervalMs: z.number().int().min(100),
        pingTimeoutMs: z.number().int().min(100),
        /** Connections open at once from one client address; past it a new one is refused. */
        maxConnectionsPerIp: z.number().int().min(1),
        /** Joins and resumes per minute from one client address (with a burst of as many). */
        joinsPerIpPerMinute: z.number().int().min(1),
        /**
         * Where the client's address comes from behind a reverse proxy or load balancer you run: the first entry of
         * this request header (e.g. `x-forwarded-for`). Empty: the connection's own address.
         */
        /** The header trusted proxies append the address they received from to (`x-forwarded-for`). */
        clientAddressHeader: z.string().regex(/^[a-z0-9-]+$/, 'a lower-case header name'),
        /** Proxies in front of Circle that append to `clientAddressHeader`; the client's address is read that many entries from the right. 0: the connection's own. */
        trustedProxyHops: z.number().int().min(0).max(10),
      })
      .strict(),
  })
  .strict();

export type CircleConfig = z.infer<typeof configSchema>;
