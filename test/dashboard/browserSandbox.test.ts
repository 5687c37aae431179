/**
 * The dashboard in a browser against the whole gateway in sandbox mode: the
 * real Baileys engine pairs with the simulated WhatsApp network. The test
 * reads the QR from the page and has the simulated phone scan it, and types
 * the page's pairing code into the simulated phone.
 */
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, launchChromium } from '../support/browser.js';
import { E2E_ADMIN_KEY, startE2E, type E2E } from '../support/e2e.js';

const hasChromium = chromiumAvailable('dashboard sandbox browser tests');

describe.skipIf(!hasChromium)('dashboard in a browser against the sandbox (real engine)', { timeout: 60_000 }, () => {
  let browser: Browser;
  let e2e: E2E;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    e2e = await startE2E();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  async function signedInPage(): Promise<Page> {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${e2e.client.baseUrl}/dashboard/`);
    await page.getByLabel('Admin API key').fill(E2E_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    return page;
  }

  async function createSession(page: Page, sessionId: string): Promise<void> {
    await page.getByLabel('Session id (optional)').fill(sessionId);
    await page.getByRole('button', { name: 'Create and start linking' }).click();
    await page.locator(`.session-detail[data-session-id="${sessionId}"]`).waitFor();
  }

  const detailBadge = (page: Page) => page.locator('.session-detail .state .badge');

  it('links by QR: the simulated phone scans the QR shown on the page', async () => {
    const page = await signedInPage();
    await createSession(page, 'sbx-qr');
    const figure = page.locator('figure.qr[data-qr]');
    await figure.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-01-qr.png'), fullPage: true });
    // The QR refs rotate quickly in this setup: scan whatever the page shows now, retrying on a stale one.
    await expect
      .poll(
        async () => {
          const qr = await figure.getAttribute('data-qr');
          const scan = await e2e.client.post('/sandbox/phones/15550000001/scan', { qr });
          return scan.status;
        },
        { timeout: 15_000 },
      )
      .toBe(200);
    await expect.poll(() => detailBadge(page).getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => page.locator('[data-field="phone"]').textContent()).toBe('+15550000001');
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-02-connected.png'), fullPage: true });
  });

  it('links by pairing code typed into the simulated phone', async () => {
    const page = await signedInPage();
    await createSession(page, 'sbx-code');
    await page.getByText('Use a phone number').click();
    await page.getByLabel('Phone number of the WhatsApp account').fill('15551234567');
    await page.getByRole('button', { name: 'Get pairing code' }).click();
    const code = page.locator('.pairing-code');
    await code.waitFor({ timeout: 20_000 });
    const shown = (await code.textContent()) ?? '';
    expect(shown).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await expect.poll(() => page.locator('.pairing-result .clock').textContent()).toMatch(/^\d:\d\d$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-03-pairing-code.png'), fullPage: true });

    const typed = await e2e.client.post('/sandbox/phones/15551234567/link-code', { code: shown });
    expect(typed.status).toBe(200);
    await expect.poll(() => detailBadge(page).getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => page.locator('[data-field="phone"]').textContent()).toBe('+15551234567');
  });
});
