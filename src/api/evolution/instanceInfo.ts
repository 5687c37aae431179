/** Core sessions in Evolution API's words: its three connection states and its instance records. */
import type { SessionState, SessionView } from '../../core/model.js';

export type EvolutionState = 'open' | 'connecting' | 'close';

export const EVOLUTION_INTEGRATION = 'WHATSAPP-BAILEYS';

export function evolutionState(state: SessionState): EvolutionState {
  switch (state) {
    case 'connected':
      return 'open';
    case 'connecting':
    case 'qr':
    case 'pairing_code':
      return 'connecting';
    case 'created':
    case 'inactive':
    case 'logged_out':
    case 'conflict':
    case 'error':
      return 'close';
  }
}

/** The account's JID without the device part (Evolution's `wuid` / `ownerJid`), or null before linking. */
export function ownerJid(view: SessionView): string | null {
  return view.me === null ? null : `${view.me.phoneNumber}@s.whatsapp.net`;
}

/** `GET /instance/connectionState/{name}` and the answer for an instance that is already open. */
export function connectionStateAnswer(view: SessionView): { instance: { instanceName: string; state: EvolutionState } } {
  return { instance: { instanceName: view.sessionId, state: evolutionState(view.state) } };
}

/**
 * One entry of `GET /instance/fetchInstances`: Evolution returns its stored
 * instance rows. What wagate does not keep (profile pictures, proxies, chat
 * integrations, the token in clear) is null; counts are not tracked here.
 */
export function evolutionInstanceRecord(view: SessionView): Record<string, unknown> {
  const disconnect = view.lastDisconnect;
  return {
    id: view.sessionId,
    name: view.sessionId,
    connectionStatus: evolutionState(view.state),
    ownerJid: ownerJid(view),
    profileName: view.me?.name ?? null,
    profilePicUrl: null,
    integration: EVOLUTION_INTEGRATION,
    number: view.me?.phoneNumber ?? null,
    businessId: null,
    // Keys are stored as hashes: the token is shown once, by /instance/create.
    token: null,
    clientName: 'wagate',
    disconnectionReasonCode: disconnect?.code ?? null,
    disconnectionObject: disconnect === null ? null : JSON.stringify({ code: disconnect.code, reason: disconnect.reason }),
    disconnectionAt: disconnect?.at ?? null,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    Chatwoot: null,
    Proxy: null,
    Rabbitmq: null,
    Nats: null,
    Sqs: null,
    Websocket: null,
    Setting: null,
    _count: { Message: 0, Contact: 0, Chat: 0 },
  };
}
