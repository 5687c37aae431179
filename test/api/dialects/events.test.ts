/** Each dialect's rendering of gateway events in its original's webhook vocabulary. */
import { describe, expect, it } from 'vitest';
import { allDialects } from '../../../src/api/dialects.js';
import { renderWahaEvent } from '../../../src/api/waha/events.js';
import type { GatewayEvent, GatewayEventType } from '../../../src/core/model.js';

function event(type: GatewayEventType, data: Record<string, unknown>, sessionId = 'default'): GatewayEvent {
  return { id: 1, type, sessionId, seq: 1, createdAt: '2026-01-01T00:00:00.000Z', data };
}

const stateChange = (previous: string, state: string): GatewayEvent =>
  event('connection.state', { state, previous, connectionState: 'connecting', code: null, reason: 'test' });

describe('WAHA renderEvent', () => {
  it.each([
    ['created', 'connecting', 'STARTING'],
    ['connecting', 'qr', 'SCAN_QR_CODE'],
    ['connecting', 'connected', 'WORKING'],
    ['connected', 'inactive', 'STOPPED'],
    ['connected', 'logged_out', 'STOPPED'],
    ['connecting', 'error', 'FAILED'],
    ['connected', 'conflict', 'FAILED'],
  ])('a state change %s → %s is session.status %s', (previous, state, status) => {
    expect(renderWahaEvent(stateChange(previous, state))).toEqual({ event: 'session.status', payload: { name: 'default', status } });
  });

  it('a change within one WAHA status (qr → pairing_code) sends nothing, as WAHA sends only changes', () => {
    expect(renderWahaEvent(stateChange('qr', 'pairing_code'))).toBeNull();
  });

  it('names the session the event is about', () => {
    const rendered = renderWahaEvent(event('connection.state', { state: 'connected', previous: 'connecting' }, 'sales'));
    expect(rendered?.payload).toEqual({ name: 'sales', status: 'WORKING' });
  });

  it.each<GatewayEventType>(['session.created', 'session.deleted', 'auth.qr', 'auth.pairing_code', 'auth.paired', 'auth.logged_out', 'auth.pairing_failed'])(
    '%s has no WAHA webhook → null',
    (type) => {
      expect(renderWahaEvent(event(type, {}))).toBeNull();
    },
  );

  it('an unknown state is not guessed', () => {
    expect(renderWahaEvent(event('connection.state', { state: 'weird', previous: 'connected' }))).toBeNull();
  });
});

describe('every dialect declares its event rendering', () => {
  it.each(allDialects.map((d) => [d.name, d] as const))('%s has renderEvent', (_name, dialect) => {
    expect(dialect.renderEvent).toBeTypeOf('function');
  });

  it('the dialects whose originals have no lifecycle webhooks render a state change as null', () => {
    const change = stateChange('connecting', 'connected');
    for (const dialect of allDialects.filter((d) => d.name !== 'waha' && d.name !== 'evolution')) expect(dialect.renderEvent?.(change)).toBeNull();
    expect(allDialects.find((d) => d.name === 'evolution')?.renderEvent?.(change)?.event).toBe('connection.update');
    expect(allDialects.find((d) => d.name === 'waha')?.renderEvent?.(change)).toEqual({
      event: 'session.status',
      payload: { name: 'default', status: 'WORKING' },
    });
  });
});
