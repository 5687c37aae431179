import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import type { SessionView } from '../../src/core/model.js';
import type { GatewaySettings } from '../../src/core/gateway.js';
import { OtpGuard, TOTP_SETTING_KEY } from '../../src/api/dashboard/otp/otpGuard.js';
import { MemorySharedState } from '../../src/core/memorySharedState.js';
import { base32Decode, totp } from '../../src/api/dashboard/otp/totp.js';

function view(sessionId: string, connected: boolean): SessionView {
  return { sessionId, connected } as SessionView;
}

/** Settings in a Map, remembering which keys were stored as secrets. */
function memorySettings(): GatewaySettings & { values: Map<string, { value: string; secret: boolean }> } {
  const values = new Map<string, { value: string; secret: boolean }>();
  return {
    values,
    get: async (key) => values.get(key)?.value,
    set: async (key, value, o) => void values.set(key, { value, secret: o?.secret === true }),
    delete: async (key) => void values.delete(key),
  };
}

function setup(opts: { ownerNumber?: string; connected?: boolean } = {}) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const sent: Array<{ via: string; to: string; text: string }> = [];
  const sessions = [view('main', opts.connected ?? true), view('other', false)];
  const settings = memorySettings();
  const guard = new OtpGuard({
    ownerNumber: opts.ownerNumber,
    settings,
    now: () => now,
    sessions: {
      list: () => sessions,
      sendText: async (via, to, text) => {
        sent.push({ via, to, text });
        return { messageId: 'm1' };
      },
    },
  });
  const lastCode = () => /(\d{6})/.exec(sent.at(-1)?.text ?? '')?.[1] ?? '';
  return { guard, sent, sessions, settings, lastCode, advance: (ms: number) => (now += ms), now: () => now };
}

async function codeOfAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof GatewayError) return err.code;
    throw err;
  }
  return 'PASSED';
}


describe('one-time-code guard: owner WhatsApp codes', () => {
  it('asks for a code, delivers it through a connected session to the owner, and accepts it once', async () => {
    const t = setup({ ownerNumber: '+1 555 000 0099' });
    expect(await t.guard.method()).toBe('whatsapp');
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'other', undefined, 'u1'))).toBe('OTP_REQUIRED');

    const sent = await t.guard.sendCode('logout', 'other');
    expect(sent.sentTo).toMatch(/0099$/);
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]).toMatchObject({ via: 'main', to: '15550000099' });
    expect(t.sent[0].text).toContain('log out session "other"');

    const code = t.lastCode();
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'other', code, 'u1'))).toBe('PASSED');
    // Used up: the same code does not pass twice.
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'other', code, 'u1'))).toBe('OTP_INVALID');
  });

  it('binds a code to its action and session', async () => {
    const t = setup({ ownerNumber: '15550000099' });
    await t.guard.sendCode('qr', 'other');
    const code = t.lastCode();
    expect(await codeOfAsync(() => t.guard.authorize('delete', 'other', code, 'u1'))).toBe('OTP_INVALID');
    expect(await codeOfAsync(() => t.guard.authorize('qr', 'main', code, 'u1'))).toBe('OTP_INVALID');
    expect(await codeOfAsync(() => t.guard.authorize('qr', 'other', code, 'u1'))).toBe('PASSED');
  });

  it('expires codes after 5 minutes', async () => {
    const t = setup({ ownerNumber: '15550000099' });
    await t.guard.sendCode('delete', 'main');
    t.advance(5 * 60_000 + 1);
    expect(await codeOfAsync(() => t.guard.authorize('delete', 'main', t.lastCode(), 'u1'))).toBe('OTP_INVALID');
  });

  it('locks for 15 minutes after 5 wrong codes, even for the right code', async () => {
    const t = setup({ ownerNumber: '15550000099' });
    await t.guard.sendCode('logout', 'main');
    const right = t.lastCode();
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) expect(await codeOfAsync(() => t.guard.authorize('logout', 'main', wrong, 'u1'))).toBe('OTP_INVALID');
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'main', wrong, 'u1'))).toBe('OTP_LOCKED');
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'main', right, 'u1'))).toBe('OTP_LOCKED');
    await expect(t.guard.sendCode('logout', 'main')).rejects.toMatchObject({ code: 'OTP_LOCKED' });
    expect((await t.guard.status()).lockedForSeconds).toBe(15 * 60);

    t.advance(15 * 60_000);
    await t.guard.sendCode('logout', 'main');
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'main', t.lastCode(), 'u1'))).toBe('PASSED');
  });

  it('does not resend within 30 seconds', async () => {
    const t = setup({ ownerNumber: '15550000099' });
    await t.guard.sendCode('logout', 'main');
    await expect(t.guard.sendCode('logout', 'main')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    t.advance(30_000);
    await t.guard.sendCode('logout', 'main');
    expect(t.sent).toHaveLength(2);
  });

  it('keeps the QR visible to the same user for a while after one good code', async () => {
    const t = setup({ ownerNumber: '15550000099' });
    await t.guard.sendCode('qr', 'other');
    await t.guard.authorize('qr', 'other', t.lastCode(), 'u1');
    expect(await codeOfAsync(() => t.guard.authorize('qr', 'other', undefined, 'u1'))).toBe('PASSED');
    expect(await codeOfAsync(() => t.guard.authorize('qr', 'other', undefined, 'u2'))).toBe('OTP_REQUIRED');
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'other', undefined, 'u1'))).toBe('OTP_REQUIRED');
    t.advance(5 * 60_000);
    expect(await codeOfAsync(() => t.guard.authorize('qr', 'other', undefined, 'u1'))).toBe('OTP_REQUIRED');
  });

  it('does not guard when no session is connected to deliver a code', async () => {
    const t = setup({ ownerNumber: '15550000099', connected: false });
    expect(await t.guard.method()).toBe('none');
    expect(await codeOfAsync(() => t.guard.authorize('delete', 'main', undefined, 'u1'))).toBe('PASSED');
  });
});

describe('one-time-code guard: authenticator app (TOTP)', () => {
  it('is off until enrolled, then guards every action with a single-use code', async () => {
    const t = setup();
    expect(await t.guard.method()).toBe('none');
    const { secret, uri } = await t.guard.beginTotpSetup('dashboard');
    expect(uri).toContain(`secret=${secret}`);
    const key = base32Decode(secret);

    expect(await codeOfAsync(() => t.guard.enableTotp('123456' === totp(key, t.now()) ? '654321' : '123456'))).toBe('OTP_INVALID');
    expect(t.settings.values.size).toBe(0);
    await t.guard.enableTotp(totp(key, t.now()));
    expect(t.settings.values.get(TOTP_SETTING_KEY)).toEqual({ value: secret, secret: true });
    expect(await t.guard.method()).toBe('totp');
    expect(await codeOfAsync(() => t.guard.beginTotpSetup('dashboard'))).toBe('BAD_REQUEST');

    expect(await codeOfAsync(() => t.guard.authorize('delete', 'main', undefined, 'u1'))).toBe('OTP_REQUIRED');
    // The code used to enable is spent; the next step's code passes once.
    expect(await codeOfAsync(() => t.guard.authorize('delete', 'main', totp(key, t.now()), 'u1'))).toBe('OTP_INVALID');
    t.advance(30_000);
    const next = totp(key, t.now());
    expect(await codeOfAsync(() => t.guard.authorize('delete', 'main', next, 'u1'))).toBe('PASSED');
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'main', next, 'u1'))).toBe('OTP_INVALID');

    t.advance(30_000);
    await t.guard.disableTotp(totp(key, t.now()));
    expect(await t.guard.method()).toBe('none');
    expect(t.settings.values.has(TOTP_SETTING_KEY)).toBe(false);
  });

  it('keeps a pending setup out of the settings, and a new guard sees an enabled secret', async () => {
    const t = setup();
    const key = base32Decode((await t.guard.beginTotpSetup('dashboard')).secret);
    expect(t.settings.values.size).toBe(0);
    await t.guard.enableTotp(totp(key, t.now()));

    let now = t.now() + 30_000;
    const restarted = new OtpGuard({ ownerNumber: undefined, settings: t.settings, now: () => now, sessions: { list: () => [], sendText: async () => ({ messageId: 'x' }) } });
    // Read from the settings at each check: a guard elsewhere (another node) sees it at once.
    expect(await restarted.method()).toBe('totp');
    await restarted.load();
    expect((await restarted.status())).toMatchObject({ method: 'totp', totpEnabled: true });
    expect(await codeOfAsync(() => restarted.authorize('logout', 'main', totp(key, now), 'u1'))).toBe('PASSED');
    now += 30_000;
    await restarted.disableTotp(totp(key, now));
    expect(t.settings.values.has(TOTP_SETTING_KEY)).toBe(false);
  });

  it('stays pending when the secret cannot be saved', async () => {
    const t = setup();
    const key = base32Decode((await t.guard.beginTotpSetup('dashboard')).secret);
    t.settings.set = async () => {
      throw new Error('disk full');
    };
    await expect(t.guard.enableTotp(totp(key, t.now()))).rejects.toThrow('disk full');
    expect((await t.guard.status())).toMatchObject({ method: 'none', totpEnabled: false });
  });

  it('locks after 5 wrong codes', async () => {
    const t = setup();
    const key = base32Decode((await t.guard.beginTotpSetup('dashboard')).secret);
    await t.guard.enableTotp(totp(key, t.now()));
    t.advance(30_000);
    const right = totp(key, t.now());
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) await codeOfAsync(() => t.guard.authorize('logout', 'main', wrong, 'u1'));
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'main', wrong, 'u1'))).toBe('OTP_LOCKED');
    expect(await codeOfAsync(() => t.guard.authorize('logout', 'main', right, 'u1'))).toBe('OTP_LOCKED');
  });
});

describe('one-time-code guard: two nodes sharing one state', () => {
  function pair() {
    const shared = new MemorySharedState();
    const settings = memorySettings();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const sent: string[] = [];
    const make = () =>
      new OtpGuard({
        ownerNumber: '15550000099',
        settings,
        shared,
        codeKey: Buffer.alloc(32, 7),
        now: () => now,
        sessions: { list: () => [view('main', true)], sendText: async (_via, _to, text) => {
            sent.push(text);
            return { messageId: 'm' };
          },
        },
      });
    return { a: make(), b: make(), sent, advance: (ms: number) => (now += ms) };
  }

  it('a code sent by one is accepted by the other, once, and the resend pause holds on both', async () => {
    const t = pair();
    await t.a.sendCode('delete', 'main');
    await expect(t.b.sendCode('delete', 'main')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    const code = /(\d{6})/.exec(t.sent[0]!)![1]!;
    expect(await codeOfAsync(() => t.b.authorize('delete', 'main', code, 'u1'))).toBe('PASSED');
    expect(await codeOfAsync(() => t.a.authorize('delete', 'main', code, 'u1'))).toBe('OTP_INVALID');
  });

  it('counts wrong codes on both towards one lock', async () => {
    const t = pair();
    await t.a.sendCode('logout', 'main');
    const wrong = /(\d{6})/.exec(t.sent[0]!)![1] === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) await codeOfAsync(() => (i % 2 ? t.a : t.b).authorize('logout', 'main', wrong, 'u1'));
    expect(await codeOfAsync(() => t.a.authorize('logout', 'main', wrong, 'u1'))).toBe('OTP_LOCKED');
    expect((await t.b.status()).lockedForSeconds).toBe(15 * 60);
  });
});
