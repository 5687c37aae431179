/**
 * Configuration from the environment (and `--sandbox`). One place, read once.
 */
import path from 'node:path';
import { DEFAULT_RESTORE_CONCURRENCY, DEFAULT_RESTORE_LOOP_DELAY_MS } from './core/sessions/restorePacer.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<file>` or `postgres://…` */
  databaseUrl: string;
  masterKey: string | undefined;
  /** Admin API key given by the operator; else generated at first start. */
  apiKey: string | undefined;
  logLevel: string;
  sandbox: boolean;
  /** Phone number of the sandbox's default simulated phone. */
  sandboxPhone: string;
  /** Engine socket URL override (the sandbox sets it to its own server). */
  waSocketUrl: string | undefined;
  /** Most sessions restoring at once on start. */
  restoreConcurrency: number;
  /** Event-loop delay (ms) the restore paces itself to; 0 = always `restoreConcurrency` at once. */
  restoreLoopDelayMs: number;
  /** Public base URL used in absolute links (gowa's qr_link); defaults to http://host:port. */
  publicUrl: string | undefined;
  rootDialect: string | undefined;
  bridgeSessionId: string;
  gowaUsers: string | undefined;
  /** Owner's phone number for WhatsApp-delivered one-time codes (seed 001). */
  ownerNumber: string | undefined;
  /** Messages per minute per session; 0 = no pacing. */
  sendRatePerMinute: number;
  /** Days messages are kept. */
  messageRetentionDays: number;
  /** Largest media a message may carry, in MB. */
  mediaMaxMb: number;
  /** Media URLs may point at private addresses (loopback, LAN): for tests and closed networks only. */
  allowPrivateUrls: boolean;
  /** GOWA's WHATSAPP_WEBHOOK: URLs that get every event in GOWA's shape. */
  gowaWebhooks: string[];
  /** GOWA's WHATSAPP_WEBHOOK_SECRET (X-Hub-Signature-256); GOWA's default `secret` when unset. */
  gowaWebhookSecret: string | undefined;
  webhooks: {
    /** Let webhook URLs reach private, loopback and link-local addresses. */
    allowPrivate: boolean;
    /** Host names, IPs or CIDRs webhooks may reach even when private. */
    allowHosts: string[];
    timeoutMs: number;
    /** Most deliveries in flight at once. */
    concurrency: number;
    /** How long a rotated-out secret keeps signing. */
    secretOverlapHours: number;
    deliveredRetentionDays: number;
    failedRetentionDays: number;
  };
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n)) throw new Error(`Expected a number, got "${value}"`);
  return n;
}

function flag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): Config {
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env.PORT, 3000),
    dataDir,
    databaseUrl: env.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'wagate.db')}`,
    masterKey: env.WAGATE_MASTER_KEY || undefined,
    apiKey: env.WAGATE_API_KEY || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    sandbox: argv.includes('--sandbox') || flag(env.WAGATE_SANDBOX),
    sandboxPhone: env.WAGATE_SANDBOX_PHONE ?? '15550000001',
    waSocketUrl: env.WAGATE_WA_URL || undefined,
    restoreConcurrency: int(env.WAGATE_RESTORE_CONCURRENCY, DEFAULT_RESTORE_CONCURRENCY),
    restoreLoopDelayMs: int(env.WAGATE_RESTORE_LOOP_DELAY_MS, DEFAULT_RESTORE_LOOP_DELAY_MS),
    publicUrl: env.WAGATE_PUBLIC_URL || undefined,
    rootDialect: env.WAGATE_ROOT_DIALECT || undefined,
    bridgeSessionId: env.WAGATE_BRIDGE_SESSION ?? 'default',
    gowaUsers: env.WAGATE_GOWA_USERS || undefined,
    ownerNumber: env.WAGATE_OWNER_NUMBER || undefined,
    sendRatePerMinute: int(env.WAGATE_SEND_RATE_PER_MINUTE, 0),
    messageRetentionDays: int(env.WAGATE_MESSAGE_RETENTION_DAYS, 30),
    mediaMaxMb: int(env.WAGATE_MEDIA_MAX_MB, 16),
    allowPrivateUrls: flag(env.WAGATE_ALLOW_PRIVATE_URLS),
    gowaWebhooks: (env.WAGATE_GOWA_WEBHOOK ?? env.WHATSAPP_WEBHOOK ?? '').split(',').map((u) => u.trim()).filter((u) => u !== ''),
    gowaWebhookSecret: env.WAGATE_GOWA_WEBHOOK_SECRET || env.WHATSAPP_WEBHOOK_SECRET || undefined,
    webhooks: {
      allowPrivate: flag(env.WAGATE_WEBHOOK_ALLOW_PRIVATE),
      allowHosts: (env.WAGATE_WEBHOOK_ALLOW_HOSTS ?? '').split(',').map((h) => h.trim()).filter((h) => h !== ''),
      timeoutMs: int(env.WAGATE_WEBHOOK_TIMEOUT_MS, 15_000),
      concurrency: int(env.WAGATE_WEBHOOK_CONCURRENCY, 64),
      secretOverlapHours: int(env.WAGATE_WEBHOOK_SECRET_OVERLAP_HOURS, 24),
      deliveredRetentionDays: int(env.WAGATE_WEBHOOK_RETENTION_DELIVERED_DAYS, 3),
      failedRetentionDays: int(env.WAGATE_WEBHOOK_RETENTION_FAILED_DAYS, 7),
    },
  };
}
