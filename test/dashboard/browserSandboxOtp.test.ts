/**
 * The one-time-code guard on logout, in a browser, against the whole gateway
 * in sandbox mode: the real Baileys engine links to the owner's simulated
 * phone by the QR shown on the page, and the code the page asks for is the
 * one that phone received on WhatsApp (read from the sandbox inbox). The
 * API-level twin of this flow is test/e2e/messaging.test.ts.
 */
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, launchChromium } from '../support/browser.js';
import { E2E_ADMIN_KEY, startE2E, type E2E } from '../support/e2e.js';

const hasChromium = chromiumAvailable('dashboard sandbox OTP browser test');
const OWNER = '15550000001';

interface PhoneMessage {
  id: string;
  from: string;
  text: string;
  receivedAt: string;
}

describe.skipIf(!hasChromium)('dashboard logout one-time code in a browser against the sandbox (real engine)', { timeout: 90_000 }, () => {
  let browser: Browser;
  let e2e: E2E;
  let context: BrowserContext | undefined;
  const pageProblems: string[] = [];

  beforeAll(async () => {
    e2e = await startE2E({ env: { WAGATE_OWNER_NUMBER: OWNER } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
  });

  afterEach(async () => {
    // Script errors or CSP violations fail the test that caused them.
    const problems = pageProblems.splice(0);
    await context?.close();
    context = undefined;
    expect(problems).toEqual([]);
  });

  const detailBadge = (page: Page) => page.locator('.session-detail .state .badge');
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** The owner's inbox on the simulated phone, newest first. */
  async function ownerInbox(): Promise<PhoneMessage[]> {
    const res = await e2e.client.get<{ data: PhoneMessage[] }>(`/sandbox/phones/${OWNER}/messages`);
    expect(res.status).toBe(200);
    return [...res.body.data].sort((a, b) => Date.parse(b.receivedAt) - Date.parse(a.receivedAt));
  }

  it('asks for the code sent to the owner’s WhatsApp, refuses a wrong one, and logs out with the right one', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) pageProblems.push(message.text());
    });

    await page.goto(`${e2e.client.baseUrl}/dashboard/`);
    await page.getByLabel('Admin API key').fill(E2E_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();

    // No session is connected yet, so nothing can deliver a code and the QR is shown without one.
    await page.getByLabel('Session id (optional)').fill('sbx-otp');
    await page.getByRole('button', { name: 'Create and start linking' }).click();
    await page.locator('.session-detail[data-session-id="sbx-otp"]').waitFor();
    const figure = page.locator('figure.qr[data-qr]');
    await figure.waitFor({ timeout: 15_000 });
    // The QR refs rotate quickly in this setup: scan whatever the page shows now, retrying on a stale one.
    await expect
      .poll(
        async () => {
          const qr = await figure.getAttribute('data-qr');
          return (await e2e.client.post(`/sandbox/phones/${OWNER}/scan`, { qr })).status;
        },
        { timeout: 15_000 },
      )
      .toBe(200);
    await expect.poll(() => detailBadge(page).getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => page.locator('[data-field="phone"]').textContent()).toBe(`+${OWNER}`);
    const before = new Set((await ownerInbox()).map((m) => m.id));
    // A marker on this document: it survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));

    await page.getByRole('button', { name: 'Log out' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Log out' }).click();
    const codeField = dialog.getByLabel('One-time code');
    await codeField.waitFor();
    await expect.poll(() => dialog.locator('.otp-form .notice').textContent()).toContain('0001');

    // The newest message on the owner's phone carries the code (the session messages its own number).
    let text = '';
    await expect
      .poll(
        async () => {
          const newest = (await ownerInbox()).find((m) => !before.has(m.id));
          text = newest?.text ?? '';
          return text;
        },
        { timeout: 15_000 },
      )
      .toMatch(/\b\d{6}\b/);
    expect(text).toContain('log out session "sbx-otp"');
    const code = /\b(\d{6})\b/.exec(text)![1]!;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    await shot(page, 'sandbox-04-otp-asked');

    await codeField.fill(wrong);
    await dialog.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => dialog.locator('.otp-form .error').textContent()).toMatch(/wrong or expired; 4 tries left/);
    expect(await detailBadge(page).getAttribute('data-state')).toBe('connected');
    expect((await e2e.client.status('sbx-otp')).state).toBe('connected');
    await shot(page, 'sandbox-05-otp-wrong');

    await codeField.fill(code);
    await dialog.getByRole('button', { name: 'Log out' }).click();
    // Live update over the event stream: no reload.
    await expect.poll(() => detailBadge(page).getAttribute('data-state'), { timeout: 20_000 }).toBe('logged_out');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect((await e2e.client.status('sbx-otp')).state).toBe('logged_out');
    await shot(page, 'sandbox-06-logged-out');
  });
});
