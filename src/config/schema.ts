/**
 * Every setting wagate reads, in one table: environment variable, kind,
 * default and the line README's configuration table shows (a test keeps the
 * two the same). The Config type is derived from this table, so a setting
 * exists in the type exactly when it exists here.
 */
import path from 'node:path';
import { DEFAULT_HTTP_LIMITS } from '../api/http/limits.js';
import { DEFAULT_MAX_SESSIONS } from '../core/sessions/lifecycle.js';
import { DEFAULT_LEASE_MS } from '../core/cluster/index.js';
import { DEFAULT_MAX_PENDING_SENDS } from '../core/messaging/sendBacklog.js';
import { DEFAULT_RESTORE_CONCURRENCY, DEFAULT_RESTORE_LOOP_DELAY_MS } from '../core/sessions/restorePacer.js';
import { SESSION_ID_PATTERN } from '../core/sessions/sessionId.js';
import {
  checkDatabaseUrl,
  checkMasterKey,
  checkNameList,
  checkPhone,
  checkUrl,
  checkUserList,
  computed,
  directory,
  flag,
  integer,
  list,
  matching,
  oneOf,
  optional,
  text,
  trustProxy,
  type Setting,
} from './kinds.js';

/** Sandbox mode keeps all its data in this subfolder of DATA_DIR, apart from real WhatsApp's. */
export const SANDBOX_SUBDIR = 'sandbox';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SCHEMA = {
  server: {
    host: text({ env: 'HOST', default: '127.0.0.1', description: 'address the HTTP server listens on' }),
    port: integer({ env: 'PORT', default: 3000, min: 0, max: 65535, what: 'a port number', description: 'port the HTTP server listens on (`0` = any free port)' }),
    publicUrl: optional({
      env: 'WAGATE_PUBLIC_URL',
      shownDefault: 'the request\'s scheme and host',
      check: checkUrl(['http:', 'https:'], 'https://wa.example.com'),
      description: 'the URL clients reach wagate at (behind a proxy): absolute links (GOWA\'s `qr_link`) and the dashboard\'s allowed origin',
    }),
    trustProxy: trustProxy({
      env: 'WAGATE_TRUST_PROXY',
      description:
        'trust `X-Forwarded-For`/`-Proto`/`-Host` from these proxy addresses/CIDRs (`127.0.0.1`, `10.0.0.0/8,::1`, `loopback`); see [docs/deployment.md](docs/deployment.md)',
    }),
    apiKey: optional({
      env: 'WAGATE_API_KEY',
      secret: true,
      shownDefault: 'generated at first start',
      check: (raw) => raw,
      description: 'the admin API key',
    }),
    metricsKey: optional({
      env: 'WAGATE_METRICS_KEY',
      secret: true,
      check: (raw) => raw,
      description: 'a key that may read `/metrics` only (`Authorization: Bearer <key>`); the admin key works too',
    }),
    metricsPublic: flag({ env: 'WAGATE_METRICS_PUBLIC', description: 'serve `/metrics` without a key (for a private scrape network)' }),
    logLevel: oneOf({ env: 'LOG_LEVEL', default: 'info', values: LOG_LEVELS, description: 'log level: fatal, error, warn, info, debug, trace or silent' }),
  },
  store: {
    dataDir: directory({
      env: 'DATA_DIR',
      default: './data',
      sandboxSubdir: SANDBOX_SUBDIR,
      description: 'SQLite file and master key file; sandbox mode keeps its own in `$DATA_DIR/sandbox`',
    }),
    databaseUrl: computed({
      env: 'DATABASE_URL',
      shownDefault: '`sqlite:$DATA_DIR/wagate.db`',
      fallback: (ctx) => `sqlite:${path.join(ctx.dataDir, 'wagate.db')}`,
      check: checkDatabaseUrl,
      description: 'or `postgres://user@host:5432/db`',
    }),
    masterKey: optional({
      env: 'WAGATE_MASTER_KEY',
      secret: true,
      shownDefault: '`$DATA_DIR/master.key` (generated, 0600)',
      check: checkMasterKey,
      description: '32-byte key (64 hex chars or base64) encrypting credentials at rest',
    }),
    listenUrl: optional({
      env: 'DATABASE_LISTEN_URL',
      shownDefault: '`DATABASE_URL`',
      check: checkDatabaseUrl,
      description:
        'PostgreSQL behind a transaction-mode pooler: a direct `postgres://` URL for the one connection per node that holds LISTEN (see [docs/deployment.md](docs/deployment.md))',
    }),
    allowNetworkSwitch: flag({
      env: 'WAGATE_ALLOW_NETWORK_SWITCH',
      description: 'start against real WhatsApp on data written in sandbox mode (or the reverse) instead of refusing',
    }),
  },
  engine: {
    waUrl: optional({
      env: 'WAGATE_WA_URL',
      shownDefault: 'WhatsApp\'s',
      check: checkUrl(['ws:', 'wss:'], 'ws://127.0.0.1:9000/ws/chat'),
      description: 'WhatsApp web socket URL override (tests and benchmarks point it at a simulated network)',
    }),
    sandboxRootKey: optional({
      env: 'WAGATE_SANDBOX_ROOT_KEY',
      check: (raw) => raw,
      description:
        'tests and benchmarks only: base64 root public key of a sandbox network in another process (with `WAGATE_WA_URL`) to trust instead of WhatsApp\'s; never set in production',
    }),
    keepAliveMs: integer({
      env: 'WAGATE_KEEPALIVE_MS',
      default: 20_000,
      min: 1_000,
      max: 600_000,
      description: 'how often a connection pings WhatsApp; a half-open connection is noticed within about twice this',
    }),
    restoreConcurrency: integer({
      env: 'WAGATE_RESTORE_CONCURRENCY',
      default: DEFAULT_RESTORE_CONCURRENCY,
      min: 1,
      max: 10_000,
      description: 'most sessions restored at once after a start (the ceiling of the adaptive pacing)',
    }),
    restoreLoopDelayMs: integer({
      env: 'WAGATE_RESTORE_LOOP_DELAY_MS',
      default: DEFAULT_RESTORE_LOOP_DELAY_MS,
      min: 0,
      max: 60_000,
      description:
        'event-loop delay target of restore pacing: more in flight while under it, halved above; `0` = always `WAGATE_RESTORE_CONCURRENCY` at once',
    }),
  },
  cluster: {
    nodeId: optional({
      env: 'WAGATE_NODE_ID',
      shownDefault: 'generated at each start',
      check: matching(/^[A-Za-z0-9_.-]{1,64}$/, 'a node id (1-64 letters, digits, _, . or -)'),
      description: 'this node\'s name among the nodes sharing one PostgreSQL (PostgreSQL only; a node restarted with the same id takes its sessions back at once)',
    }),
    nodeAddress: optional({
      env: 'WAGATE_NODE_ADDRESS',
      shownDefault: '`http://$HOST:$PORT`',
      check: checkUrl(['http:', 'https:'], 'http://10.0.0.5:3000'),
      description: 'the URL the other nodes reach this one at: commands on a session this node runs are forwarded there',
    }),
    leaseMs: integer({
      env: 'WAGATE_CLUSTER_LEASE_MS',
      default: DEFAULT_LEASE_MS,
      min: 1_000,
      max: 600_000,
      description: 'a node that has not renewed its lease for this long is dead to the others, which take its sessions over',
    }),
  },
  limits: {
    maxSessions: integer({
      env: 'WAGATE_MAX_SESSIONS',
      default: DEFAULT_MAX_SESSIONS,
      min: 0,
      max: 1_000_000,
      description: 'most sessions the gateway holds; a create above it gets 429 `SESSION_LIMIT_REACHED`; `0` = no cap',
    }),
    maxSseStreams: integer({
      env: 'WAGATE_MAX_SSE_STREAMS',
      default: DEFAULT_HTTP_LIMITS.maxSseStreams,
      min: 0,
      max: 1_000_000,
      description: 'event streams (SSE, every API and the dashboard) open at once; above it 503 `STREAM_LIMIT_REACHED`; `0` = no cap',
    }),
    maxSseStreamsPerAddress: integer({
      env: 'WAGATE_MAX_SSE_STREAMS_PER_ADDRESS',
      default: DEFAULT_HTTP_LIMITS.maxSseStreamsPerAddress,
      min: 0,
      max: 1_000_000,
      description: 'event streams one client address may hold; above it 429 `TOO_MANY_STREAMS`; `0` = no cap',
    }),
    maxConnectionsPerAddress: integer({
      env: 'WAGATE_MAX_CONNECTIONS_PER_ADDRESS',
      default: DEFAULT_HTTP_LIMITS.maxConnectionsPerAddress,
      min: 0,
      max: 1_000_000,
      description:
        'connections one client address may hold open; above it a 429 `TOO_MANY_CONNECTIONS` and the connection is closed; `0` = no cap (raise it behind a reverse proxy, which is one address)',
    }),
    headersTimeoutMs: integer({
      env: 'WAGATE_HEADERS_TIMEOUT_MS',
      default: DEFAULT_HTTP_LIMITS.headersTimeoutMs,
      min: 100,
      max: 600_000,
      description: 'a client must send its request headers within this (else 408)',
    }),
    requestTimeoutMs: integer({
      env: 'WAGATE_REQUEST_TIMEOUT_MS',
      default: DEFAULT_HTTP_LIMITS.requestTimeoutMs,
      min: 100,
      max: 3_600_000,
      description: 'a client must send its whole request, body included, within this (else 408); responses such as event streams are not bounded',
    }),
  },
  messaging: {
    sendRatePerMinute: integer({
      env: 'WAGATE_SEND_RATE_PER_MINUTE',
      default: 0,
      min: 0,
      max: 100_000,
      description: 'most messages a session sends per minute; the rest wait in its queue (protection against bans); `0` = off',
    }),
    maxPendingSends: integer({
      env: 'WAGATE_MAX_PENDING_SENDS',
      default: DEFAULT_MAX_PENDING_SENDS,
      min: 0,
      max: 10_000_000,
      description:
        'messages a session may have waiting to be sent; a send above it gets 429 `SEND_BACKLOG_FULL` with `Retry-After` and nothing is stored; `0` = no bound',
    }),
    messageRetentionDays: integer({
      env: 'WAGATE_MESSAGE_RETENTION_DAYS',
      default: 30,
      min: 1,
      max: 36_500,
      description: 'days messages (and their encrypted bodies) are kept',
    }),
    mediaMaxMb: integer({ env: 'WAGATE_MEDIA_MAX_MB', default: 16, min: 1, max: 2_048, description: 'largest media a message may carry, in MB' }),
    allowPrivateUrls: flag({
      env: 'WAGATE_ALLOW_PRIVATE_URLS',
      description: 'let media URLs point at loopback or private addresses (tests, closed networks)',
    }),
  },
  webhooks: {
    allowPrivate: flag({
      env: 'WAGATE_WEBHOOK_ALLOW_PRIVATE',
      description: 'let webhook URLs reach loopback, private and link-local addresses (tests, closed networks)',
    }),
    allowHosts: list({ env: 'WAGATE_WEBHOOK_ALLOW_HOSTS', description: 'host names, IPs or CIDRs webhooks may reach even when private (comma-separated)' }),
    timeoutMs: integer({ env: 'WAGATE_WEBHOOK_TIMEOUT_MS', default: 15_000, min: 100, max: 120_000, description: 'how long a delivery waits for the receiver\'s answer' }),
    concurrency: integer({ env: 'WAGATE_WEBHOOK_CONCURRENCY', default: 64, min: 1, max: 10_000, description: 'most webhook deliveries in flight at once' }),
    secretOverlapHours: integer({
      env: 'WAGATE_WEBHOOK_SECRET_OVERLAP_HOURS',
      default: 24,
      min: 0,
      max: 720,
      description: 'hours a rotated-out webhook secret still signs beside the new one',
    }),
    deliveredRetentionDays: integer({ env: 'WAGATE_WEBHOOK_RETENTION_DELIVERED_DAYS', default: 3, min: 1, max: 3_650, description: 'days delivered webhook deliveries are kept' }),
    failedRetentionDays: integer({ env: 'WAGATE_WEBHOOK_RETENTION_FAILED_DAYS', default: 7, min: 1, max: 3_650, description: 'days failed webhook deliveries are kept' }),
  },
  sandbox: {
    enabled: flag({ env: 'WAGATE_SANDBOX', description: 'use the simulated WhatsApp network (same as `--sandbox`)' }),
    phone: text({ env: 'WAGATE_SANDBOX_PHONE', default: '15550000001', check: checkPhone, description: 'the sandbox\'s default simulated phone' }),
    pairingCodeLimit: integer({
      env: 'WAGATE_SANDBOX_PAIRING_CODES',
      default: 0,
      min: 0,
      max: 1_000_000,
      description: 'pairing codes a simulated phone may ask for per 10 minutes in sandbox mode (`0` = no limit); against real WhatsApp the limit is always 3',
    }),
  },
  dashboard: {
    ownerNumber: optional({
      env: 'WAGATE_OWNER_NUMBER',
      check: checkPhone,
      description: 'owner\'s WhatsApp number for one-time codes in the dashboard',
    }),
  },
  dialects: {
    root: optional({
      env: 'WAGATE_ROOT_DIALECT',
      check: checkNameList,
      description: 'also mount compatibility dialects (comma-separated) at their original root paths',
    }),
    bridge: {
      sessionId: text({
        env: 'WAGATE_BRIDGE_SESSION',
        default: 'default',
        check: matching(SESSION_ID_PATTERN, 'a session id (1-64 letters, digits, _ or -)'),
        description: 'the one session the `bridge` dialect drives',
      }),
    },
    gowa: {
      users: optional({ env: 'WAGATE_GOWA_USERS', check: checkUserList, description: '`user:pass[,user:pass]` for the `gowa` dialect\'s Basic auth' }),
      webhooks: list({
        env: 'WAGATE_GOWA_WEBHOOK',
        check: checkUrl(['http:', 'https:'], 'https://example.com/hook'),
        description: 'URLs that get every event in GOWA\'s webhook shape (GOWA\'s `WHATSAPP_WEBHOOK`, comma-separated)',
      }),
      webhookSecret: optional({
        env: 'WAGATE_GOWA_WEBHOOK_SECRET',
        shownDefault: '`secret` (GOWA\'s default)',
        check: (raw: string) => raw,
        description: 'key of GOWA\'s `X-Hub-Signature-256` (GOWA\'s `WHATSAPP_WEBHOOK_SECRET`)',
      }),
    },
  },
};

/** A schema subtree: settings, or sections of settings. */
export interface SchemaTree {
  [key: string]: Setting<unknown> | SchemaTree;
}

/** The configuration's shape, read off the table. */
export type ConfigOf<T> = { readonly [K in keyof T]: T[K] extends Setting<infer V> ? V : ConfigOf<T[K]> };

export function isSetting(node: Setting<unknown> | SchemaTree): node is Setting<unknown> {
  return typeof (node as Setting<unknown>).parse === 'function' && typeof (node as Setting<unknown>).env === 'string';
}

/** Every setting with its place in the Config (`server.port`), in table order. */
export function listSettings(tree: SchemaTree = SCHEMA, prefix = ''): Array<{ path: string; setting: Setting<unknown> }> {
  return Object.entries(tree).flatMap(([key, node]) =>
    isSetting(node) ? [{ path: `${prefix}${key}`, setting: node }] : listSettings(node, `${prefix}${key}.`),
  );
}
