/**
 * Regenerates the dashboard screenshots committed under docs/screenshots/
 * against a sandbox gateway with the real engine:
 *
 *   npx tsx test/dashboard/docsScreenshots.ts
 *
 * Not a test: it only drives the page into each state and takes the picture.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { launchChromium } from '../support/browser.js';
import { E2E_ADMIN_KEY, startE2E } from '../support/e2e.js';

const OUT = path.resolve('docs/screenshots');

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  // Long-lived QR refs, so the picture shows a calm countdown.
  const e2e = await startE2E({ overrides: { engine: { qrTimeoutMs: 60_000 }, sandbox: { qrRefTtlMs: 60_000 } } });
  const browser = await launchChromium();
  try {
    // A linked session, so the list shows more than one state.
    await e2e.client.post('/api/v1/sessions', { sessionId: 'sales', displayName: 'Sales desk' });
    await e2e.client.post('/api/v1/sessions/sales/connect');
    await e2e.client.post('/sandbox/phones/15550000001/scan', { qr: await e2e.client.qr('sales') });
    await e2e.client.waitForState('sales', 'connected');

    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${e2e.client.baseUrl}/dashboard/`);
    await page.getByLabel('Admin API key').fill(E2E_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();

    await page.getByLabel('Session id (optional)').fill('support');
    await page.getByLabel('Display name (optional)').fill('Support line');
    await page.getByRole('button', { name: 'Create and start linking' }).click();
    await page.locator('figure.qr[data-qr]').waitFor({ timeout: 20_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(OUT, 'qr-panel.png') });

    await page.getByText('Use a phone number').click();
    await page.getByLabel('Phone number of the WhatsApp account').fill('15551234567');
    await page.getByRole('button', { name: 'Get pairing code' }).click();
    await page.locator('.pairing-code').waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1200);
    await page.screenshot({ path: path.join(OUT, 'pairing-code-panel.png') });
    await context.close();
  } finally {
    await browser.close();
    await e2e.close();
  }
}

await main();
