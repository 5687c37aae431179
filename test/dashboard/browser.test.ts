/**
 * The dashboard in a real browser (Debian's chromium via playwright-core)
 * against the real core with the fake engine: sign in, create, QR linking,
 * pairing-code linking, logout with confirmation, and the one-time-code
 * guard. Screenshots of each step land in test-artifacts/dashboard/.
 */
import path from 'node:path';
import { type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable } from '../support/browser.js';
import { eventually } from '../support/harness.js';
import { base32Decode, totp } from '../../src/api/dashboard/otp/totp.js';
import { PairingRateLimiter } from '../../src/core/sessions/pairingRateLimiter.js';
import { dashboardBrowser } from './dashboardBrowser.js';
import { type DashboardGateway } from './dashboardHarness.js';

const hasChromium = chromiumAvailable('dashboard browser tests');

describe.skipIf(!hasChromium)('dashboard in a browser', { timeout: 60_000 }, () => {
  const open = dashboardBrowser();

  async function signIn(page: Page, key: string): Promise<void> {
    await page.getByLabel('Admin API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
  }

  async function createSession(page: Page, sessionId: string): Promise<void> {
    await page.getByLabel('Session id (optional)').fill(sessionId);
    await page.getByRole('button', { name: 'Create and start linking' }).click();
    await page.locator(`.session-detail[data-session-id="${sessionId}"]`).waitFor();
  }

  const detailBadge = (page: Page) => page.locator('.session-detail .state .badge');
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function linkByQr(page: Page, gw: DashboardGateway, sessionId: string, phone = '15550001234'): Promise<void> {
    const figure = page.locator('figure.qr[data-qr]');
    await figure.waitFor();
    const payload = await figure.getAttribute('data-qr');
    const connection = gw.gw.engine.last(sessionId);
    expect(payload).toBe(gw.gw.core.sessions.getQr(sessionId).qr);
    // The phone "scans" what the page shows.
    expect(payload).toContain(connection.noiseKey);
    await connection.link(phone);
    await expect.poll(() => detailBadge(page).getAttribute('data-state')).toBe('connected');
  }

  it('refuses a wrong key with a plain message, then signs in', async () => {
    const { page, gw } = await open();
    await page.getByLabel('Admin API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('That is not the admin API key');
    await shot(page, '01-sign-in-refused');
    await signIn(page, gw.gw.adminKey);
    await shot(page, '02-signed-in-empty');
  });

  it('links by QR: the QR appears, rotates, and the badge turns connected without a reload', async () => {
    const { page, gw } = await open();
    await signIn(page, gw.gw.adminKey);
    await createSession(page, 'shop');
    const figure = page.locator('figure.qr[data-qr]');
    await figure.waitFor();
    await expect.poll(() => page.locator('.qr-panel .clock').textContent()).toMatch(/^\d:\d\d$/);
    const first = await figure.getAttribute('data-qr');
    await shot(page, '03-qr-panel');

    // WhatsApp rotates the QR: the page replaces it by itself.
    gw.gw.engine.last('shop').emitQr();
    await expect.poll(() => figure.getAttribute('data-qr')).not.toBe(first);

    let reloaded = false;
    page.on('framenavigated', () => (reloaded = true));
    await linkByQr(page, gw, 'shop');
    expect(reloaded).toBe(false);
    await expect.poll(() => page.locator('.session-item[data-session-id="shop"] .badge').getAttribute('data-state')).toBe('connected');
    await page.locator('[data-linked="true"]').waitFor();
    await expect.poll(() => page.locator('[data-field="phone"]').textContent()).toBe('+15550001234');
    await expect.poll(() => page.locator('.event-log li[data-event-type="auth.paired"]').count()).toBeGreaterThan(0);
    await shot(page, '04-qr-linked');
  });

  it('links by phone number: explains a bad number, waits out "not ready", shows the code with a countdown', async () => {
    const { page, gw } = await open();
    await signIn(page, gw.gw.adminKey);
    // WhatsApp takes a moment to get ready, so the first request meets 422 and the page waits.
    gw.gw.engine.bootDelayMs = 1500;
    await createSession(page, 'field');
    await page.getByText('Use a phone number').click();
    const phoneField = page.getByLabel('Phone number of the WhatsApp account');

    await phoneField.fill('12');
    await page.getByRole('button', { name: 'Get pairing code' }).click();
    const fieldError = page.locator('.phone-form .error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('Use the country code and number');
    expect(await phoneField.getAttribute('aria-invalid')).toBe('true');
    await shot(page, '05-phone-invalid');

    await phoneField.fill('15550002222');
    await page.getByRole('button', { name: 'Get pairing code' }).click();
    const code = page.locator('.pairing-code');
    await code.waitFor({ timeout: 15_000 });
    const shown = (await code.textContent()) ?? '';
    expect(shown).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await expect.poll(() => page.locator('.pairing-result .clock').textContent()).toMatch(/^\d:\d\d$/);
    const before = Number(await page.locator('.pairing-result .clock').getAttribute('data-seconds-left'));
    await expect.poll(async () => Number(await page.locator('.pairing-result .clock').getAttribute('data-seconds-left'))).toBeLessThan(before);
    expect(await page.getByText('Link with phone number instead').count()).toBe(1);
    await shot(page, '06-pairing-code-panel');

    // The phone's user types the code.
    expect(await gw.gw.engine.last('field').enterCode(shown)).toBe(true);
    await expect.poll(() => detailBadge(page).getAttribute('data-state')).toBe('connected');
    await shot(page, '07-pairing-linked');
  });

  it('shows the rate-limit message with the wait time', async () => {
    const { page, gw } = await open({ gateway: { rateLimiter: new PairingRateLimiter({ limit: 1 }) } });
    // Another session already used this number's only code in the window.
    const core = gw.gw.core.sessions;
    await core.create({ sessionId: 'earlier' });
    await core.connect('earlier');
    await eventually(() => expect(core.get('earlier').state).toBe('qr'));
    await core.requestPairingCode('earlier', '15550003333');

    await signIn(page, gw.gw.adminKey);
    await createSession(page, 'limited');
    await page.locator('figure.qr[data-qr]').waitFor();
    await page.getByText('Use a phone number').click();
    await page.getByLabel('Phone number of the WhatsApp account').fill('15550003333');
    await page.getByRole('button', { name: 'Get pairing code' }).click();
    const alert = page.locator('.pairing-panel > .error');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/You can ask again in (10 minutes|9 minutes \d+ seconds)\..*Time left: (10:00|9:\d\d)/);
    expect(await page.getByRole('button', { name: 'Get pairing code' }).isDisabled()).toBe(true);
    await shot(page, '08-pairing-rate-limited');
  });

  it('logs out after a confirmation that names what will be lost', async () => {
    const { page, gw } = await open();
    await signIn(page, gw.gw.adminKey);
    await createSession(page, 'office');
    await linkByQr(page, gw, 'office', '15550004444');
    await expect.poll(() => page.locator('dl.facts').textContent()).toContain('Connected since');

    await page.getByRole('button', { name: 'Log out' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('deletes its stored credentials');
    expect(await dialog.textContent()).toContain('+15550004444');
    await shot(page, '09-logout-confirm');
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(gw.gw.core.sessions.get('office').state).toBe('connected');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => detailBadge(page).getAttribute('data-state')).toBe('logged_out');
    expect(gw.gw.core.sessions.get('office').paired).toBe(false);
    // No longer "connected since": the time is kept as the last connection.
    await expect.poll(() => page.locator('dl.facts').textContent()).toContain('Last connected');
    expect(await page.locator('dl.facts').textContent()).not.toContain('Connected since');
    await shot(page, '10-logged-out');
  });

  it('asks for the one-time code sent to the owner before logging out', async () => {
    const { page, gw } = await open({ ownerNumber: '15550009999' });
    await signIn(page, gw.gw.adminKey);
    await gw.gw.core.sessions.create({ sessionId: 'guarded' });
    await gw.gw.core.sessions.connect('guarded');
    await eventually(() => expect(gw.gw.core.sessions.get('guarded').state).toBe('qr'));
    await gw.gw.engine.last('guarded').link('15550005555');
    await page.locator('.session-item[data-session-id="guarded"]').click();
    await expect.poll(() => detailBadge(page).getAttribute('data-state')).toBe('connected');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Log out' }).click();
    const codeField = page.getByLabel('One-time code');
    await codeField.waitFor();
    await expect.poll(() => page.locator('.otp-form .notice').textContent()).toContain('9999');
    const connection = gw.gw.engine.last('guarded');
    await eventually(() => expect(connection.sent.at(-1)?.to).toBe('15550009999'));
    const code = /(\d{6})/.exec(connection.sent.at(-1)!.text)![1];

    await codeField.fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('dialog').getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.locator('.otp-form .error').textContent()).toMatch(/wrong or expired; 4 tries left/);
    expect(gw.gw.core.sessions.get('guarded').state).toBe('connected');
    await shot(page, '11-otp-wrong');

    await codeField.fill(code);
    await page.getByRole('dialog').getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => detailBadge(page).getAttribute('data-state')).toBe('logged_out');
  });

  it('asks for the owner code before revealing a QR, then keeps showing it', async () => {
    const { page, gw } = await open({ ownerNumber: '15550009999' });
    const core = gw.gw.core.sessions;
    await core.create({ sessionId: 'sender' });
    await core.connect('sender');
    await eventually(() => expect(core.get('sender').state).toBe('qr'));
    await gw.gw.engine.last('sender').link('15550006666');
    await eventually(() => expect(core.get('sender').state).toBe('connected'));

    await signIn(page, gw.gw.adminKey);
    await createSession(page, 'newcomer');
    const form = page.locator('.qr-panel form[data-otp-method="whatsapp"]');
    await form.waitFor();
    expect(await page.locator('figure.qr').count()).toBe(0);
    const sender = gw.gw.engine.last('sender');
    await eventually(() => expect(sender.sent.at(-1)?.text).toContain('show the QR code of session "newcomer"'));
    await shot(page, '13-qr-reveal-code');
    await page.getByLabel('One-time code').fill(/(\d{6})/.exec(sender.sent.at(-1)!.text)![1]);
    await page.getByRole('button', { name: 'Show QR code' }).click();
    const figure = page.locator('figure.qr[data-qr]');
    await figure.waitFor();
    expect(await figure.getAttribute('data-qr')).toBe(core.getQr('newcomer').qr);
    // A rotated QR shows without another code.
    const first = await figure.getAttribute('data-qr');
    gw.gw.engine.last('newcomer').emitQr();
    await expect.poll(() => figure.getAttribute('data-qr')).not.toBe(first);
    expect(await page.locator('.qr-panel form').count()).toBe(0);
  });

  it('enrols an authenticator app and then asks for its code before deleting a session', async () => {
    const { page, gw } = await open();
    await signIn(page, gw.gw.adminKey);
    await gw.gw.core.sessions.create({ sessionId: 'old' });

    await page.getByRole('button', { name: 'Security' }).click();
    const dialog = page.getByRole('dialog', { name: 'Security' });
    // The secret is kept (encrypted) by the gateway now: no "set it up again after a restart" warning.
    await dialog.getByText('stays enabled across restarts').waitFor();
    expect(await dialog.textContent()).not.toContain('set up again');
    await dialog.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secretEl = dialog.locator('[data-totp-secret]');
    await secretEl.waitFor();
    expect(await dialog.locator('img.totp-qr').count()).toBe(1);
    expect(await dialog.locator('code.uri').textContent()).toMatch(/^otpauth:\/\/totp\//);
    await shot(page, '14-totp-setup');
    const key = base32Decode((await secretEl.getAttribute('data-totp-secret'))!);
    await dialog.getByLabel('Code shown in the app').fill(totp(key, Date.now()));
    await dialog.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => dialog.locator('[data-otp-method]').getAttribute('data-otp-method')).toBe('totp');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page.locator('.session-item[data-session-id="old"]').click();
    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog');
    expect(await confirm.textContent()).toContain('cannot be undone');
    await confirm.getByRole('button', { name: 'Delete session' }).click();
    await confirm.locator('form[data-otp-method="totp"]').waitFor();
    // The enrolment code is spent; the next step's code is within the drift window.
    await confirm.getByLabel('One-time code').fill(totp(key, Date.now() + 30_000));
    await confirm.getByRole('button', { name: 'Delete session' }).click();
    await expect.poll(() => page.locator('.session-item[data-session-id="old"]').count()).toBe(0);
    expect(gw.gw.core.sessions.has('old')).toBe(false);
  });

  it('fits a phone-sized screen', async () => {
    const { page, gw } = await open({ viewport: { width: 390, height: 844 } });
    await signIn(page, gw.gw.adminKey);
    await createSession(page, 'mobile');
    await page.locator('figure.qr[data-qr]').waitFor();
    await shot(page, '12-mobile');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
