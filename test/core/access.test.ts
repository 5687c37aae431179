/** The one permission rule: the admin key may do everything, a session key only use its own session. */
import { describe, expect, it } from 'vitest';
import { authorize, mayAccess, type AccessRequest } from '../../src/core/access.js';
import type { Principal } from '../../src/core/gateway.js';

const admin: Principal = { kind: 'admin' };
const scoped: Principal = { kind: 'session', sessionId: 'main', keyId: 'k1' };

function outcome(principal: Principal | undefined, request: AccessRequest): string {
  try {
    authorize(principal, request);
    return 'allowed';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('authorize', () => {
  it.each<[AccessRequest, string]>([
    [{ action: 'session.use', sessionId: 'main' }, 'allowed'],
    [{ action: 'session.use', sessionId: 'other' }, 'FORBIDDEN'],
    [{ action: 'session.use' }, 'FORBIDDEN'],
    [{ action: 'session.list' }, 'allowed'],
    [{ action: 'session.create' }, 'FORBIDDEN'],
    [{ action: 'session.delete', sessionId: 'main' }, 'FORBIDDEN'],
    [{ action: 'keys.manage', sessionId: 'main' }, 'FORBIDDEN'],
    [{ action: 'gateway.operate' }, 'FORBIDDEN'],
  ])('a session key of "main": %o → %s', (request, expected) => {
    expect(outcome(scoped, request)).toBe(expected);
  });

  it('the admin key may do every action; no key is UNAUTHORIZED', () => {
    const actions: AccessRequest[] = [
      { action: 'session.use', sessionId: 'x' },
      { action: 'session.create' },
      { action: 'session.delete', sessionId: 'x' },
      { action: 'keys.manage', sessionId: 'x' },
      { action: 'gateway.operate' },
    ];
    for (const request of actions) {
      expect(outcome(admin, request)).toBe('allowed');
      expect(outcome(undefined, request)).toBe('UNAUTHORIZED');
    }
  });

  it('a refusal says the admin key is needed and names the key\'s session', () => {
    expect(() => authorize(scoped, { action: 'session.delete', sessionId: 'main' })).toThrow(
      expect.objectContaining({ status: 403, message: 'This action needs the admin key', details: { keySessionId: 'main', action: 'session.delete' } }),
    );
  });

  it('mayAccess filters lists the same way', () => {
    expect(mayAccess(scoped, 'main')).toBe(true);
    expect(mayAccess(scoped, 'other')).toBe(false);
    expect(mayAccess(admin, 'other')).toBe(true);
    expect(mayAccess(undefined, 'main')).toBe(false);
  });
});
