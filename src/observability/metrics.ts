/**
 * Prometheus metrics at `GET /metrics` (text exposition format). They show
 * counts and latencies, never session ids, keys or phone numbers, but they
 * still tell an outsider how busy the gateway is and which versions it runs,
 * so a scrape needs the admin key or the metrics-only key unless the operator
 * opens the route for a private scrape network.
 *
 * Every series has a bounded label set, so 1000 sessions cost the same
 * number of series as one: states, close codes, route patterns, thresholds.
 * Each call builds its own registry, so several gateways (tests) can live in
 * one process.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { authenticate, authorizeRequest, extractApiKey } from '../api/http/auth.js';
import { GatewayError } from '../core/errors.js';
import type { ApiKeyService, EventBus, SessionService } from '../core/gateway.js';
import { SESSION_STATES, type GatewayEvent, type SessionState } from '../core/model.js';
import { FAULT_KINDS, type FaultCounter } from '../core/faults.js';
import type { WebhookStats } from '../core/webhooks/webhookService.js';
import { closeReasonLabel, codeLabel } from './closeCodes.js';
import { unhandledRejectionCount } from './processGuards.js';
import { LastSeenTracker, type HeartbeatSource } from './lastSeen.js';

/** What metrics read from the core: the session list (or its counts) and the event bus. */
export interface MetricsCore {
  sessions: Pick<SessionService, 'list'> & {
    /** Cheap counts by state (SessionManager has it); falls back to list() otherwise. */
    countByState?(): Record<SessionState, number>;
    /** Observer for refused pairing-code requests (SessionManager has it). */
    onPairingRefused?(listener: (sessionId: string, code: string) => void): () => void;
    /** Last frame received per session (SessionManager has it): the heartbeat used when opts.heartbeat is not given. */
    lastFrameAt?(sessionId: string): number | null;
  };
  events: Pick<EventBus, 'subscribe'>;
  /** Failures the core survived (engine events, store writes, timers). */
  faults?: Pick<FaultCounter, 'count'>;
  /** Admin keys are checked here. */
  apiKeys: ApiKeyService;
  /** Webhook delivery figures (the core's webhook service has them). */
  webhooks?: { stats(): Promise<WebhookStats> };
}

export interface MetricsOptions {
  /** Metric name prefix (default `wagate_`). */
  prefix?: string;
  /** Include prom-client's process and Node metrics (event-loop delay, heap, GC …). Default true. */
  defaultMetrics?: boolean;
  /** Quiet thresholds (seconds) for the connected-session last-seen gauge. */
  lastSeenThresholdsS?: number[];
  /** Last received frame per session (engine heartbeat), when the engine reports it. */
  heartbeat?: HeartbeatSource;
  now?: () => number;
  /** Serve without a key (WAGATE_METRICS_PUBLIC), for a private scrape network. Default false. */
  public?: boolean;
  /** A key that may read /metrics and nothing else (WAGATE_METRICS_KEY). */
  metricsKey?: string;
}

export interface GatewayMetrics {
  registry: Registry;
  /** Stop listening to the event bus (the app's onClose does it too). */
  dispose(): void;
}

const HTTP_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DEFAULT_THRESHOLDS_S = [60, 300, 900, 3600];

/** Adds `GET /metrics` and the HTTP latency hook to `app` (call before the app is ready). */
export function registerMetrics(app: FastifyInstance, core: MetricsCore, opts: MetricsOptions = {}): GatewayMetrics {
  const prefix = opts.prefix ?? 'wagate_';
  const now = opts.now ?? Date.now;
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  new Gauge({
    name: `${prefix}sessions`,
    help: 'Sessions by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = countByState(core);
      for (const state of SESSION_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });

  new Counter({
    name: `${prefix}survived_faults_total`,
    help: 'Failures the gateway logged and survived: engine events that did not fit, store writes that failed, timer tasks that threw',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const kind of FAULT_KINDS) this.inc({ kind }, core.faults?.count(kind) ?? 0);
    },
  });
  new Counter({
    name: `${prefix}unhandled_rejections_total`,
    help: 'Promise rejections nobody handled; logged, and the process kept running',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(unhandledRejectionCount());
    },
  });

  if (core.webhooks) registerWebhookMetrics(registry, prefix, core.webhooks);

  const connects = new Counter({
    name: `${prefix}session_connects_total`,
    help: 'Sessions that reached connected; after="pairing" for a fresh link, "login" for a restore or reconnect',
    labelNames: ['after'],
    registers: [registry],
  });
  const disconnects = new Counter({
    name: `${prefix}session_disconnects_total`,
    help: 'Connected sessions that left connected, by WhatsApp close code ("none" when the gateway closed it) and where they went',
    labelNames: ['code', 'reason', 'to'],
    registers: [registry],
  });
  const drops = new Counter({
    name: `${prefix}connection_closes_total`,
    help: 'Every engine close the core saw (also while connecting or linking), by close code',
    labelNames: ['code', 'reason'],
    registers: [registry],
  });
  const pairingIssued = new Counter({
    name: `${prefix}pairing_codes_issued_total`,
    help: 'Pairing codes handed out',
    registers: [registry],
  });
  const pairingRefused = new Counter({
    name: `${prefix}pairing_codes_refused_total`,
    help: 'Pairing-code requests refused before reaching WhatsApp: rate_limited or invalid_phone_number',
    labelNames: ['reason'],
    registers: [registry],
  });
  const pairingFailed = new Counter({
    name: `${prefix}pairing_codes_failed_total`,
    help: 'Pairing codes the phone user typed wrongly (the session keeps waiting)',
    registers: [registry],
  });

  const heartbeat = opts.heartbeat ?? (core.sessions.lastFrameAt ? (id: string) => core.sessions.lastFrameAt!(id) : undefined);
  const lastSeen = new LastSeenTracker(now, heartbeat);
  const thresholds = opts.lastSeenThresholdsS ?? DEFAULT_THRESHOLDS_S;
  new Gauge({
    name: `${prefix}connected_sessions_quiet`,
    help: 'Connected sessions with neither an event nor a frame from WhatsApp for longer than `over_seconds` (ghost candidates; keepalive answers count as frames)',
    labelNames: ['over_seconds'],
    registers: [registry],
    collect() {
      const ages = lastSeen.connectedAgesS();
      for (const threshold of thresholds) {
        this.set({ over_seconds: String(threshold) }, ages.filter((age) => age > threshold).length);
      }
    },
  });
  new Gauge({
    name: `${prefix}connected_session_last_seen_max_seconds`,
    help: 'Seconds since the quietest connected session last had an event or a frame from WhatsApp (0 when none is connected)',
    registers: [registry],
    collect() {
      this.set(Math.max(0, ...lastSeen.connectedAgesS()));
    },
  });

  const pairedRecently = new Set<string>();
  const onEvent = (event: GatewayEvent): void => {
    lastSeen.seen(event);
    switch (event.type) {
      case 'auth.paired':
        pairedRecently.add(event.sessionId);
        break;
      case 'auth.pairing_code':
        pairingIssued.inc();
        break;
      case 'auth.pairing_failed':
        pairingFailed.inc();
        break;
      case 'session.deleted':
        pairedRecently.delete(event.sessionId);
        break;
      case 'connection.state':
        onStateChange(event);
        break;
      default:
        break;
    }
  };
  const onStateChange = (event: GatewayEvent): void => {
    const to = String(event.data.state);
    const previous = String(event.data.previous);
    const code = typeof event.data.code === 'number' ? event.data.code : null;
    if (to === 'connected') {
      connects.inc({ after: pairedRecently.delete(event.sessionId) ? 'pairing' : 'login' });
    } else if (previous === 'connected') {
      disconnects.inc({ code: codeLabel(code), reason: closeReasonLabel(code), to });
    }
    // A close reported by the engine always carries its code.
    if (code !== null) drops.inc({ code: codeLabel(code), reason: closeReasonLabel(code) });
  };
  const unsubscribers = [core.events.subscribe(undefined, onEvent)];
  if (core.sessions.onPairingRefused) {
    unsubscribers.push(
      core.sessions.onPairingRefused((_sessionId, code) => {
        pairingRefused.inc({ reason: code === 'PAIRING_RATE_LIMITED' ? 'rate_limited' : 'invalid_phone_number' });
      }),
    );
  }

  const httpDuration = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'HTTP request latency by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: HTTP_BUCKETS_S,
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern (`/api/v1/sessions/:sessionId`), never the raw URL.
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Prometheus text format: sessions by state, connects and disconnects by close code, pairing codes ' +
          'issued and refused, connected-session quietness, HTTP latency by route, and Node process metrics ' +
          '(event-loop delay, heap, GC); no session ids or secrets. Needs the admin key or WAGATE_METRICS_KEY ' +
          '(`Authorization: Bearer <key>`) unless WAGATE_METRICS_PUBLIC is on.',
        tags: ['Operations'],
        security: [{ bearerAuth: [] }],
      },
      onRequest: opts.public ? [] : [metricsAuth(core, opts.metricsKey)],
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );

  const dispose = (): void => {
    for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
  };
  app.addHook('onClose', async () => dispose());
  return { registry, dispose };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** onRequest hook: the metrics-only key, or an admin key; a session key is not enough. */
function metricsAuth(core: MetricsCore, metricsKey: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = metricsKey === undefined ? undefined : digest(metricsKey);
  return async (request) => {
    const key = extractApiKey(request);
    if (key === undefined) {
      throw new GatewayError('UNAUTHORIZED', 'Send the admin key or WAGATE_METRICS_KEY as "Authorization: Bearer <key>"');
    }
    // Compared as digests so the comparison takes the same time whatever the key's length.
    if (expected !== undefined && timingSafeEqual(digest(key), expected)) return;
    await authenticate(request, core.apiKeys);
    authorizeRequest(request, { action: 'gateway.operate' });
  };
}

function countByState(core: MetricsCore): Partial<Record<SessionState, number>> {
  if (core.sessions.countByState) return core.sessions.countByState();
  const counts: Partial<Record<SessionState, number>> = {};
  for (const view of core.sessions.list()) counts[view.state] = (counts[view.state] ?? 0) + 1;
  return counts;
}

/** Deliveries by outcome, the pending queue and its oldest entry (one store query per scrape). */
function registerWebhookMetrics(registry: Registry, prefix: string, webhooks: { stats(): Promise<WebhookStats> }): void {
  let latest: Promise<WebhookStats> | undefined;
  // The three collectors of one scrape share one query.
  const stats = (): Promise<WebhookStats> => {
    latest ??= webhooks.stats().finally(() => setImmediate(() => (latest = undefined)));
    return latest;
  };
  new Counter({
    name: `${prefix}webhook_deliveries_total`,
    help: 'Webhook delivery attempts by outcome: delivered (2xx), retry (failed, will retry), failed (gave up), gone (410, endpoint disabled)',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      const { outcomes } = await stats().catch(() => ({ outcomes: undefined }));
      if (!outcomes) return;
      this.reset();
      for (const [outcome, n] of Object.entries(outcomes)) this.inc({ outcome }, n);
    },
  });
  new Gauge({
    name: `${prefix}webhook_queue_depth`,
    help: 'Webhook deliveries pending (due now or waiting for a retry)',
    registers: [registry],
    async collect() {
      const s = await stats().catch(() => undefined);
      if (s) this.set(s.pending);
    },
  });
  new Gauge({
    name: `${prefix}webhook_oldest_pending_age_seconds`,
    help: 'Age of the oldest pending webhook delivery (0 when none)',
    registers: [registry],
    async collect() {
      const s = await stats().catch(() => undefined);
      if (s) this.set(s.oldestPendingAgeS);
    },
  });
  new Gauge({
    name: `${prefix}webhook_deliveries_in_flight`,
    help: 'Webhook requests in flight now',
    registers: [registry],
    async collect() {
      const s = await stats().catch(() => undefined);
      if (s) this.set(s.inFlight);
    },
  });
}
