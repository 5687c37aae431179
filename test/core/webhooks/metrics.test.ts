/** /metrics shows webhook deliveries by outcome, the pending queue and the age of its oldest entry. */
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerMetrics } from '../../../src/observability/metrics.js';
import { createTestGateway, eventually } from '../../support/harness.js';
import { startReceiver } from '../../support/webhookReceiver.js';

const open: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

function value(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('webhook metrics', () => {
  it('count outcomes and show what is pending', async () => {
    let status = 500;
    const rx = await startReceiver(() => ({ status }));
    const gw = await createTestGateway({ webhooks: { net: { allowPrivate: true }, retryDelaysMs: [60_000], timeoutMs: 500 } });
    const app = Fastify();
    registerMetrics(app, gw.core, { defaultMetrics: false, public: true });
    await app.ready();
    open.push(rx, gw, app);
    const scrape = async (): Promise<string> => (await app.inject({ method: 'GET', url: '/metrics' })).body;

    const hook = await gw.core.webhooks.create({ url: rx.url, events: ['*'] }, undefined);
    gw.core.events.emit('connection.state', 'm', {});
    await rx.waitForCount(1);
    await eventually(async () => expect(value(await scrape(), 'wagate_webhook_deliveries_total{outcome="retry"}')).toBe(1));
    const text = await scrape();
    expect(value(text, 'wagate_webhook_queue_depth')).toBe(1);
    expect(value(text, 'wagate_webhook_oldest_pending_age_seconds')).toBeGreaterThan(0);

    // A test ping has its own lane, so it is not held behind the delivery waiting to retry.
    status = 200;
    await gw.core.webhooks.test(hook.id, undefined);
    await eventually(async () => expect(value(await scrape(), 'wagate_webhook_deliveries_total{outcome="delivered"}')).toBe(1));
  });
});
