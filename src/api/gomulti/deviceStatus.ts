/** Our session state as gomulti's device status and connection flags. */
import type { SessionView } from '../../core/model.js';

export type GomultiDeviceStatus = 'pending' | 'active' | 'disconnected' | 'logged_out';

export function gomultiDeviceStatus(view: SessionView): GomultiDeviceStatus {
  if (view.state === 'connected') return 'active';
  if (view.state === 'logged_out') return 'logged_out';
  return view.paired ? 'disconnected' : 'pending';
}

/** whatsmeow's IsConnected (socket up) and IsLoggedIn (linked and logged in). */
export function gomultiConnection(view: SessionView): { is_connected: boolean; is_logged_in: boolean } {
  return {
    is_connected: view.state === 'qr' || view.state === 'pairing_code' || view.state === 'connected',
    is_logged_in: view.state === 'connected',
  };
}

/** The original's WhatsAppIsClientOK error text for a device that is not fully logged in. */
export function gomultiClientError(view: SessionView): string {
  if (!view.active) return 'WhatsApp Client is not Valid';
  if (view.state === 'connecting') return 'WhatsApp Client is not Connected';
  return 'WhatsApp Client is not Logged In';
}
