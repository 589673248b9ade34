/**
 * The one typed configuration schema of a Tongban node.
 *
 * Every key a node reads is declared here with its default and what is allowed, so the same
 * table drives YAML parsing, environment variables, command-line flags and the README's
 * configuration reference.
 */
import { z } from 'zod';

const divisionOrMinistryCode = z
  .string()
  .regex(/^(\d{6}|[A-Z][A-Z0-9]{1,15})$/, 'a 6-digit GB/T 2260 division code or an upper-case ministry code');

export const nodeLevels = ['hub', 'ministry', 'province', 'prefecture', 'county'] as const;
export const suiteNames = ['intl', 'sm'] as const;
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Booleans from YAML, or the strings `true`/`false`/`1`/`0` from the environment and flags. */
const boolish = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
]);

export const configSchema = z.strictObject({
  node: z.strictObject({
    code: divisionOrMinistryCode,
    name: z.string().min(1).max(100),
    level: z.enum(nodeLevels),
    /** `hub` runs the directory, relay and template library; every other node is `node`. */
    role: z.enum(['node', 'hub']).default('node'),
    suite: z.enum(suiteNames).default('intl'),
  }),
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.coerce.number().int().min(0).max(65535).default(8300),
      /** The URL partners use to reach this node; defaults to http://host:port. */
      publicUrl: z.url().optional(),
      bodyLimitBytes: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
      trustProxy: boolish.default(false),
      requestTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(30_000),
      /** How long a shutdown waits for running requests and outbox deliveries; absent = exchange.requestTimeoutMs + 5 s. */
      drainTimeoutMs: z.coerce.number().int().min(0).max(600_000).optional(),
      /** A directory holding a built web console to serve instead of the bundled dist/console. */
      consoleDir: z.string().min(1).optional(),
    })
    .prefault({}),
  database: z
    .strictObject({
      /** A PostgreSQL connection URL; when absent the node uses the SQLite file below. */
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
        .optional(),
      /** SQLite file, relative to the data directory. */
      sqliteFile: z.string().min(1).default('node.db'),
      poolSize: z.coerce.number().int().min(1).max(100).default(10),
    })
    .prefault({}),
  keys: z
    .strictObject({
      /** The key-encryption secret itself; prefer `secretFile` or TONGBAN_KEYS_SECRET. */
      secret: z.string().min(16, 'at least 16 characters').optional(),
      /** A file holding the key-encryption secret, relative to the data directory. */
      secretFile: z.string().min(1).optional(),
    })
    .prefault({}),
  auth: z
    .strictObject({
      accessTokenTtlSeconds: z.coerce.number().int().min(60).max(3600).default(900),
      sessionIdleSeconds: z.coerce.number().int().min(60).max(86_400).default(1800),
      sessionMaxSeconds: z.coerce.number().int().min(300).max(7 * 86_400).default(8 * 3600),
      maxFailedLogins: z.coerce.number().int().min(1).max(100).default(5),
      lockoutSeconds: z.coerce.number().int().min(1).max(86_400).default(900),
      passwordMinLength: z.coerce.number().int().min(8).max(128).default(12),
      /** scrypt cost as log2(N); 15 = 32 MiB per hash. Lower only in tests. */
      passwordCostLog2: z.coerce.number().int().min(10).max(20).default(15),
      totpIssuer: z.string().min(1).default('Tongban'),
    })
    .prefault({}),
  federation: z
    .strictObject({
      /** How often a member fetches the hub's directory (conditional request). */
      syncIntervalSeconds: z.coerce.number().int().min(1).max(86_400).default(60),
      /** How long the hub's published directory stays valid (its `expiresAt`). */
      directoryTtlSeconds: z.coerce.number().int().min(60).max(30 * 86_400).default(3600),
      /** How long past its expiry a cached directory may still be used when the hub is unreachable. */
      graceSeconds: z.coerce.number().int().min(0).max(30 * 86_400).default(86_400),
    })
    .prefault({}),
  exchange: z
    .strictObject({
      /** Messages whose `ts` differs from this node's clock by more are refused (clock_skew). */
      clockSkewSeconds: z.coerce.number().int().min(1).max(3600).default(300),
      /** How long outbound calls to a partner or the hub may take. */
      requestTimeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
      /** Largest accepted envelope, in bytes. */
      maxEnvelopeBytes: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
      /** Most bridge messages to one partner sent under one batch signature when they queue up under load; 1 sends every message alone. */
      batchMaxMessages: z.coerce.number().int().min(1).max(64).default(64),
      /** Delivery attempts before an outbox message is parked as failed. */
      outboxMaxAttempts: z.coerce.number().int().min(1).max(100).default(12),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** How often this node fetches and witnesses the checkpoints of its partners (and, on the hub, of every member). */
      witnessIntervalSeconds: z.coerce.number().int().min(1).max(86_400).default(60),
      /** How long a witness waits before flagging a checkpoint signed by a key its directory does not know (a rotation may not have reached it yet). */
      unknownKeyGraceSeconds: z.coerce.number().int().min(0).max(86_400).default(600),
      /** How long log entries keep their details; the Cybersecurity Law asks for at least six months. */
      retentionDays: z.coerce.number().int().min(183, 'at least 183 days (six months, Cybersecurity Law art. 21)').max(36_500).default(183),
      /** Lifetime of a citizen token a caseworker issues for the access report. */
      citizenTokenTtlSeconds: z.coerce.number().int().min(60).max(3600).default(900),
    })
    .prefault({}),
  catalog: z
    .strictObject({
      /** Read-only PostgreSQL tables or views that back datasets (YAML, or JSON in the environment). */
      linked: z
        .array(
          z.strictObject({
            /** The dataset's code in this node's catalogue. */
            dataset: z.string().min(1),
            /** Connection URL; defaults to database.url. */
            url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL').optional(),
            /** `table` or `schema.table`. */
            table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'an SQL identifier, optionally schema-qualified'),
          }),
        )
        .default([]),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(logLevels).default('info'),
    })
    .prefault({}),
});

/** The configuration as written (before defaults). */
export type ConfigInput = z.input<typeof configSchema>;
/** The parsed, defaulted configuration every service receives. */
export type Config = Readonly<z.output<typeof configSchema>>;
