/**
 * The dashboard's pages beyond linking, in a real browser against the real
 * core with the fake engine: a thousand sessions (search, state counts,
 * sort, paging, bulk actions; the time each step took is printed, not
 * asserted), webhooks with a loopback receiver, API keys, the calm expired
 * QR, the QR in view on a phone, a test message, the event log and dark mode.
 */
import path from 'node:path';
import { type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable } from '../support/browser.js';
import { eventually } from '../support/harness.js';
import { startReceiver, type Receiver } from '../support/webhookReceiver.js';
import { dashboardBrowser, type OpenDashboardOptions } from './dashboardBrowser.js';
import { type DashboardGateway } from './dashboardHarness.js';

const hasChromium = chromiumAvailable('dashboard page tests');

describe.skipIf(!hasChromium)('dashboard pages in a browser', { timeout: 120_000 }, () => {
  const openPage = dashboardBrowser();
  let receiver: Receiver | undefined;

  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  /** The dashboard, signed in with the admin key. */
  async function open(opts: OpenDashboardOptions = {}): Promise<{ page: Page; gw: DashboardGateway }> {
    const { page, gw } = await openPage(opts);
    await page.getByLabel('Admin API key').fill(gw.gw.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /^Sessions/ }).waitFor();
    return { page, gw };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const rows = (page: Page) => page.locator('.session-rows .session-item');
  const rowIds = (page: Page) => rows(page).evaluateAll((items) => items.map((item) => item.getAttribute('data-session-id')));
  const chip = (page: Page, state: string) => page.locator(`.state-filter [data-filter-state="${state}"]`);
  const detailBadge = (page: Page) => page.locator('.session-detail .state .badge');

  async function connectAndLink(gw: DashboardGateway, sessionId: string, phone: string): Promise<void> {
    const sessions = gw.gw.core.sessions;
    if (!sessions.has(sessionId)) await sessions.create({ sessionId });
    await sessions.connect(sessionId);
    await eventually(() => expect(sessions.get(sessionId).state).toBe('qr'));
    await gw.gw.engine.last(sessionId).link(phone);
    await eventually(() => expect(sessions.get(sessionId).state).toBe('connected'));
  }

  it('holds a thousand sessions: search, state counts, sort, paging and bulk connect/disconnect', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `sess-${String(i).padStart(4, '0')}`);
    const { page, gw } = await open({
      before: async (g) => {
        for (let i = 0; i < ids.length; i += 50) {
          await Promise.all(ids.slice(i, i + 50).map((sessionId, j) => g.gw.core.sessions.create({ sessionId, displayName: `Shop ${i + j}` })));
        }
      },
    });
    const timings: Record<string, number> = {};
    const timed = async (name: string, step: () => Promise<void>) => {
      const started = performance.now();
      await step();
      timings[name] = Math.round(performance.now() - started);
    };

    await timed('reload to first page shown', async () => {
      await page.reload();
      await expect.poll(() => rows(page).count()).toBe(25);
    });
    expect(await page.locator('[data-total-sessions]').getAttribute('data-total-sessions')).toBe('1000');
    expect(await chip(page, '').textContent()).toBe('All 1000');
    expect(await chip(page, 'created').textContent()).toBe('Not started 1000');
    // The create form is folded so the list comes first; it opens on demand.
    expect(await page.getByLabel('Session id (optional)').isVisible()).toBe(false);
    expect(await page.locator('.pager').textContent()).toContain('1–25 of 1000');
    await shot(page, '20-thousand-sessions');

    await timed('next page', async () => {
      await page.getByRole('button', { name: 'Next' }).click();
      await expect.poll(() => page.locator('.pager').textContent()).toContain('26–50 of 1000');
    });
    expect((await rowIds(page))[0]).toBe('sess-0025');

    await timed('sort newest first', async () => {
      await page.getByLabel('Sort').selectOption('-created');
      await expect.poll(async () => (await rowIds(page))[0]).toBe('sess-0999');
    });
    expect(await page.locator('.pager').textContent()).toContain('1–25 of 1000');

    await timed('search', async () => {
      await page.getByLabel('Search').fill('shop 99');
      // Shop 99 and Shop 990 … 999.
      await expect.poll(() => rows(page).count()).toBe(11);
    });
    expect(await chip(page, '').textContent()).toBe('All 11');

    await page.getByLabel('Search').fill('');
    await page.getByLabel('Sort').selectOption('created');
    await expect.poll(async () => (await rowIds(page))[0]).toBe('sess-0000');
    await page.getByLabel('Select page').check();
    await timed('bulk connect 25 and see them wait for a QR', async () => {
      await page.getByRole('button', { name: 'Connect 25', exact: true }).click();
      await expect.poll(() => chip(page, 'qr').textContent(), { timeout: 30_000 }).toBe('Waiting for QR scan 25');
    });
    expect(await page.locator('.bulk-outcome').textContent()).toBe('Connecting 25 sessions.');
    expect(ids.slice(0, 25).every((id) => gw.gw.core.sessions.get(id).state === 'qr')).toBe(true);
    expect(gw.gw.core.sessions.get('sess-0025').state).toBe('created');
    expect(await chip(page, 'created').textContent()).toBe('Not started 975');

    await timed('filter by state', async () => {
      await chip(page, 'qr').click();
      await expect.poll(() => page.locator('.pager').count()).toBe(0); // 25 fit on one page
    });
    expect(await rows(page).count()).toBe(25);
    expect(await page.locator('.session-rows .badge[data-state="qr"]').count()).toBe(25);

    await page.getByLabel('Select page').check();
    await timed('bulk disconnect 25', async () => {
      await page.getByRole('button', { name: 'Disconnect 25', exact: true }).click();
      await expect.poll(() => page.getByText('No session matches.').count()).toBe(1);
    });
    expect(ids.slice(0, 25).every((id) => gw.gw.core.sessions.get(id).state === 'created')).toBe(true);
    await shot(page, '21-thousand-sessions-filtered');

    const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null);
    console.log(`dashboard with 1000 sessions (ms): ${JSON.stringify(timings)}; page JS heap ${heap === null ? 'n/a' : `${(heap / 1e6).toFixed(1)} MB`}`);
  });

  it('on a phone, "Create and start linking" brings the QR into view', async () => {
    const { page } = await open({
      viewport: { width: 390, height: 844 },
      before: async (g) => {
        for (const sessionId of ['one', 'two', 'three', 'four', 'five']) await g.gw.core.sessions.create({ sessionId });
      },
    });
    await page.getByLabel('Session id (optional)').fill('pocket');
    await page.getByRole('button', { name: 'Create and start linking' }).click();
    const figure = page.locator('figure.qr[data-qr]');
    await figure.waitFor();
    await expect
      .poll(() => figure.evaluate((el) => {
        const box = el.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight;
      }))
      .toBe(true);
    await shot(page, '22-phone-qr-in-view');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('an expired unscanned QR reads calm, with one button to start linking again', async () => {
    const { page, gw } = await open();
    await page.getByLabel('Session id (optional)').fill('lapsed');
    await page.getByRole('button', { name: 'Create and start linking' }).click();
    await page.locator('figure.qr[data-qr]').waitFor();
    // Every QR ran out with nobody scanning: WhatsApp closes with 408.
    gw.gw.engine.last('lapsed').drop(408);
    await expect.poll(() => detailBadge(page).textContent()).toBe('Not linked: QR expired');
    expect(await detailBadge(page).getAttribute('class')).toContain('tone-idle');
    await expect.poll(() => page.locator('.session-item[data-session-id="lapsed"] .badge').textContent()).toBe('Not linked: QR expired');
    // Nothing on the page reads as an alarm; the filter counts it as stopped.
    expect(await page.locator('.badge.tone-bad').count()).toBe(0);
    await expect.poll(() => chip(page, 'error').textContent()).toBe('Stopped 1');
    // One way to start: no "Connect" beside "Start linking again".
    expect(await page.locator('.session-detail').getByRole('button', { name: 'Connect', exact: true }).count()).toBe(0);
    await shot(page, '23-qr-expired-calm');

    const first = gw.gw.engine.last('lapsed');
    await page.getByRole('button', { name: 'Start linking again' }).click();
    await page.locator('figure.qr[data-qr]').waitFor();
    expect(gw.gw.engine.last('lapsed')).not.toBe(first);
    await expect.poll(() => detailBadge(page).getAttribute('data-state')).toBe('qr');
  });

  it('webhooks page: add, send a test to a loopback receiver, see the delivery, replay it, edit, disable, delete', async () => {
    receiver = await startReceiver();
    const { page, gw } = await open({ gateway: { webhooks: { net: { allowPrivate: true }, retryDelaysMs: [30], timeoutMs: 2_000 } } });
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();

    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByLabel('URL that receives the events').fill(receiver.url);
    await page.locator('.webhook-form').getByRole('button', { name: 'Add webhook' }).click();
    const secret = page.locator('[data-webhook-secret]');
    await secret.waitFor();
    expect(await secret.getAttribute('data-webhook-secret')).toMatch(/^whsec_/);
    const [created] = gw.gw.core.webhooks.list(undefined);
    expect(created).toMatchObject({ url: receiver.url, events: ['*'], enabled: true, sessionId: null });
    const card = page.locator(`.webhook[data-webhook-id="${created!.id}"]`);

    await card.getByRole('button', { name: 'Send a test' }).click();
    await receiver.waitForCount(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ type: 'webhook.test' });
    const webhookId = receiver.requests[0]!.headers['webhook-id'];
    const row = card.locator('.deliveries tbody tr').first();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('delivered');
    expect(await row.textContent()).toContain('204');
    await shot(page, '24-webhook-delivered');

    await row.getByRole('button', { name: 'Replay' }).click();
    await receiver.waitForCount(2);
    expect(receiver.requests[1]!.headers['webhook-id']).toBe(webhookId);

    await card.getByRole('button', { name: 'Edit' }).click();
    await card.getByLabel('URL that receives the events').fill(`${receiver.url}?v=2`);
    await card.getByLabel('All events').uncheck();
    await card.getByLabel('message.received').check();
    await card.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => card.locator('.webhook-url').textContent()).toBe(`${receiver.url}?v=2`);
    expect(gw.gw.core.webhooks.get(created!.id, undefined)).toMatchObject({ url: `${receiver.url}?v=2`, events: ['message.received'] });

    await card.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => card.getAttribute('data-enabled')).toBe('false');
    expect(gw.gw.core.webhooks.get(created!.id, undefined).enabled).toBe(false);
    expect(await card.getByRole('button', { name: 'Send a test' }).isDisabled()).toBe(true);
    await card.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => card.getAttribute('data-enabled')).toBe('true');

    await card.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByText('No webhooks yet.').waitFor();
    expect(gw.gw.core.webhooks.list(undefined)).toEqual([]);
  });

  it('API keys page: mints a labelled key shown once, which then works, and revokes it', async () => {
    const { page, gw } = await open({ before: async (g) => void (await g.gw.core.sessions.create({ sessionId: 'shop' })) });
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByPlaceholder('Session id').fill('shop');
    await page.getByRole('button', { name: 'Show keys' }).click();
    await page.getByText('This session has no keys yet.').waitFor();

    await page.getByLabel('Label (optional)').fill('CRM');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.locator('[data-new-key]');
    await shown.waitFor();
    const key = (await shown.getAttribute('data-new-key'))!;
    expect(await gw.gw.core.apiKeys.verify(key)).toMatchObject({ kind: 'session', sessionId: 'shop' });
    const row = page.locator('table.keys tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('CRM');
    // The table never holds the key itself.
    expect(await page.locator('table.keys').textContent()).not.toContain(key);
    await shot(page, '25-api-keys');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('This session has no keys yet.').waitFor();
    expect(await gw.gw.core.apiKeys.verify(key)).toBeUndefined();
    expect(await page.locator('[data-new-key]').count()).toBe(0);

    await page.getByPlaceholder('Session id').fill('nobody');
    await page.getByRole('button', { name: 'Show keys' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/session/i);
  });

  it('sends a test message from a connected session', async () => {
    const { page, gw } = await open({ before: (g) => connectAndLink(g, 'sender', '15550007777') });
    await page.locator('.session-item[data-session-id="sender"]').click();
    await page.locator('[data-linked="true"]').waitFor();
    await page.getByLabel('To (phone number with country code)').fill('15550008888');
    await page.getByLabel('Text').fill('hello from the dashboard');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const accepted = page.locator('.send-test [data-message-id]');
    await accepted.waitFor();
    await eventually(() => expect(gw.gw.engine.last('sender').sent.at(-1)).toMatchObject({ text: 'hello from the dashboard' }));
    expect(gw.gw.engine.last('sender').sent.at(-1)!.to).toContain('15550008888');
  });

  it('shows a logout once in the event log, and filters every session\'s events by session and type', async () => {
    const { page, gw } = await open({ before: (g) => connectAndLink(g, 'leaver', '15550006666') });
    await gw.gw.core.sessions.create({ sessionId: 'stayer' });
    await page.locator('.session-item[data-session-id="leaver"]').click();
    await expect.poll(() => detailBadge(page).getAttribute('data-state')).toBe('connected');
    await gw.gw.core.sessions.logout('leaver');
    await expect.poll(() => detailBadge(page).getAttribute('data-state')).toBe('logged_out');
    const log = page.locator('.session-detail .event-log li');
    await expect.poll(() => log.filter({ hasText: /Logged out/ }).count()).toBe(1);
    // A reload reads the stored history: still once.
    await page.reload();
    await expect.poll(() => page.locator('.session-detail .event-log li').filter({ hasText: /Logged out/ }).count()).toBe(1);

    await page.getByRole('link', { name: 'Events' }).click();
    const items = page.locator('.events-page li');
    await expect.poll(() => items.filter({ hasText: 'stayer' }).count()).toBeGreaterThan(0);
    await page.getByLabel('Type').selectOption('session.created');
    await expect.poll(() => items.count()).toBe(2);
    await page.getByLabel('Session').fill('stay');
    await expect.poll(() => items.count()).toBe(1);
    expect(await items.first().getAttribute('data-session-id')).toBe('stayer');
    await page.getByLabel('Session').fill('');
    await page.getByLabel('Type').selectOption('');
    // Live: a new session's events appear without a reload.
    await gw.gw.core.sessions.create({ sessionId: 'latecomer' });
    await expect.poll(() => items.filter({ hasText: 'latecomer' }).count()).toBe(1);
    await shot(page, '26-events-page');
  });

  it('follows the system\'s dark-mode preference', async () => {
    const { page } = await open({ colorScheme: 'dark' });
    // The page's background (on the root element) is dark, its text light.
    const colours = await page.evaluate(() => {
      const style = getComputedStyle(document.documentElement);
      return [style.backgroundColor, style.color];
    });
    const brightness = (css: string) => (css.match(/\d+/g) ?? []).slice(0, 3).map(Number).reduce((sum, n) => sum + n, 0);
    expect(brightness(colours[0]!)).toBeLessThan(150);
    expect(brightness(colours[1]!)).toBeGreaterThan(500);
    await shot(page, '27-dark-mode');
  });
});
