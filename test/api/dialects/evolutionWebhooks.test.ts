/** Evolution webhook settings as delivery targets and bodies, for the webhook sender. */
import { describe, expect, it } from 'vitest';
import { evolutionWebhookFormat, evolutionWebhookTargets, type EvolutionWebhookSettings } from '../../../src/api/evolution/index.js';
import type { GatewayEvent } from '../../../src/core/model.js';

const settings = (over: Partial<EvolutionWebhookSettings> = {}): EvolutionWebhookSettings => ({
  enabled: true,
  url: 'https://hooks.example.com/evo',
  byEvents: false,
  base64: false,
  events: [],
  headers: { authorization: 'Bearer s3cret' },
  ...over,
});

const stateEvent: GatewayEvent = {
  id: 7,
  type: 'connection.state',
  sessionId: 'sales',
  seq: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  data: { state: 'connected', previous: 'qr', code: null },
};

describe('evolutionWebhookTargets', () => {
  it('no webhook, or a disabled one → no targets', () => {
    expect(evolutionWebhookTargets('sales', undefined)).toEqual([]);
    expect(evolutionWebhookTargets('sales', settings({ enabled: false }))).toEqual([]);
  });

  it('one URL for every event, or with byEvents one URL per rendered event the instance wants', () => {
    expect(evolutionWebhookTargets('sales', settings({ events: ['MESSAGES_UPSERT'] }))).toEqual([
      {
        url: 'https://hooks.example.com/evo',
        format: 'evolution',
        sessionId: 'sales',
        // The client's headers ride in the secret, which the store keeps encrypted.
        secret: '{"authorization":"Bearer s3cret"}',
        options: { destination: 'https://hooks.example.com/evo', events: ['MESSAGES_UPSERT'], serverUrl: null },
      },
    ]);
    const byEvents = evolutionWebhookTargets('sales', settings({ byEvents: true, events: ['MESSAGES_UPSERT', 'CONNECTION_UPDATE', 'CALL'] }));
    expect(byEvents.map((t) => [t.url, t.options.events])).toEqual([
      ['https://hooks.example.com/evo/connection-update', ['CONNECTION_UPDATE']],
      ['https://hooks.example.com/evo/messages-upsert', ['MESSAGES_UPSERT']],
    ]);
    expect(evolutionWebhookTargets('sales', settings({ byEvents: true }))).toHaveLength(5);
  });
});

describe('evolutionWebhookFormat', () => {
  const format = evolutionWebhookFormat((sessionId) => (sessionId === 'sales' ? '15550000001@s.whatsapp.net' : null));

  it('renders the Evolution body with the target as destination; a target that does not take the event gets null', () => {
    const [target] = evolutionWebhookTargets('sales', settings(), 'https://gw.example.com');
    const body = JSON.parse(format.render(stateEvent, target!.options) as string) as Record<string, unknown>;
    expect(body).toEqual({
      event: 'connection.update',
      instance: 'sales',
      data: { instance: 'sales', state: 'open', statusReason: 200 },
      destination: 'https://hooks.example.com/evo',
      date_time: '2026-01-01T00:00:00.000Z',
      sender: '15550000001@s.whatsapp.net',
      server_url: 'https://gw.example.com',
    });
    const [onlyMessages] = evolutionWebhookTargets('sales', settings({ events: ['MESSAGES_UPSERT'] }));
    expect(format.render(stateEvent, onlyMessages!.options)).toBeNull();
  });

  it('sends the client\'s own headers and no signature', () => {
    const [target] = evolutionWebhookTargets('sales', settings());
    expect(format.headers('{}', target!.secret, { eventId: '1', eventType: 'connection.state', timestamp: 0 })).toEqual({
      'content-type': 'application/json',
      authorization: 'Bearer s3cret',
    });
    const [bare] = evolutionWebhookTargets('sales', settings({ headers: {} }));
    expect(bare!.secret).toBe('');
    expect(format.headers('{}', bare!.secret, { eventId: '1', eventType: 'connection.state', timestamp: 0 })).toEqual({ 'content-type': 'application/json' });
  });
});
