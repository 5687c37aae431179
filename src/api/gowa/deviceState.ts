/** Our session state as GOWA's device state and connection flags. */
import type { SessionView } from '../../core/model.js';

export type GowaDeviceState = 'disconnected' | 'connecting' | 'connected' | 'logged_in';

export function gowaDeviceState(view: SessionView): GowaDeviceState {
  switch (view.state) {
    case 'connected':
      return 'logged_in';
    case 'qr':
    case 'pairing_code':
      return 'connected'; // socket up, waiting for the phone
    case 'connecting':
      return 'connecting';
    default:
      return 'disconnected';
  }
}

export function gowaDevice(view: SessionView): Record<string, unknown> {
  return {
    id: view.sessionId,
    display_name: view.displayName ?? '',
    jid: view.me?.jid ?? '',
    state: gowaDeviceState(view),
    created_at: view.createdAt,
  };
}

export function gowaStatus(view: SessionView): Record<string, unknown> {
  const state = gowaDeviceState(view);
  return { device_id: view.sessionId, is_connected: state === 'connected' || state === 'logged_in', is_logged_in: state === 'logged_in' };
}
