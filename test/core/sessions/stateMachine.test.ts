import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, toConnectionState } from '../../../src/core/sessions/stateMachine.js';
import type { SessionState } from '../../../src/core/model.js';

describe('session state machine', () => {
  it('follows the linking path created → connecting → qr → pairing_code → connecting → connected', () => {
    const path: SessionState[] = ['created', 'connecting', 'qr', 'pairing_code', 'connecting', 'connected'];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('refuses jumps that would hide a missing step', () => {
    expect(canTransition('created', 'connected')).toBe(false);
    expect(canTransition('inactive', 'qr')).toBe(false);
    expect(canTransition('logged_out', 'connected')).toBe(false);
    expect(() => assertTransition('created', 'connected')).toThrow(/created → connected/);
  });

  it('maps fine states onto seed 000 connectionState', () => {
    expect(toConnectionState('created')).toBe('created');
    expect(toConnectionState('qr')).toBe('connecting');
    expect(toConnectionState('pairing_code')).toBe('connecting');
    expect(toConnectionState('connected')).toBe('connected');
    expect(toConnectionState('inactive')).toBe('inactive');
    expect(toConnectionState('logged_out')).toBe('disconnected');
    expect(toConnectionState('conflict')).toBe('disconnected');
    expect(toConnectionState('error')).toBe('error');
  });
});
