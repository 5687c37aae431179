/**
 * Which WhatsApp network a store's data belongs to. Sessions linked in
 * sandbox mode exist only on the simulated network; restored against real
 * WhatsApp they would fail (and the reverse would lose real sessions), so
 * the store records its network at first start and a start on the other
 * network is refused unless the operator asks for it.
 */
import type { Logger } from 'pino';
import { StoreError } from './errors.js';
import type { Store } from './types.js';

/** Settings key of the network the data belongs to. */
export const NETWORK_SETTING = 'wagate.network';

export type DataNetwork = 'sandbox' | 'whatsapp';

export interface ClaimOptions {
  /** The network this start uses. */
  network: DataNetwork;
  /** WAGATE_ALLOW_NETWORK_SWITCH: take the data over instead of refusing. */
  allowSwitch: boolean;
  /** How to name the data to the operator (a file path, or "the PostgreSQL database"). */
  where: string;
  /**
   * The data dir shows an older version's sandbox run (simulated-network state
   * beside the database, from before sandbox mode had its own folder): data
   * without a record but with sessions then belongs to the sandbox.
   */
  olderSandboxLayout?: boolean;
  logger?: Logger;
}

function isNetwork(value: string | undefined): value is DataNetwork {
  return value === 'sandbox' || value === 'whatsapp';
}

function refusal(where: string, owner: DataNetwork): string {
  return owner === 'sandbox'
    ? `${where} holds data written in sandbox mode: its sessions are linked to the simulated network, not to WhatsApp, ` +
        'so they must not be restored against WhatsApp. Use another data directory (DATA_DIR or DATABASE_URL) for WhatsApp, ' +
        'start with --sandbox to use this data, or set WAGATE_ALLOW_NETWORK_SWITCH=1 to use it for WhatsApp anyway.'
    : `${where} holds data of real WhatsApp sessions: sandbox mode would restore them against the simulated network. ` +
        'Sandbox mode keeps its own data in $DATA_DIR/sandbox: check DATABASE_URL, start without --sandbox to use this data, ' +
        'or set WAGATE_ALLOW_NETWORK_SWITCH=1 to use it in sandbox mode anyway.';
}

/** Records the network on first start; throws NETWORK_MISMATCH on the other one unless allowed. */
export async function claimNetwork(store: Pick<Store, 'settings' | 'sessions'>, opts: ClaimOptions): Promise<void> {
  const recorded = await store.settings.get(NETWORK_SETTING);
  let owner: DataNetwork | undefined = isNetwork(recorded) ? recorded : undefined;
  if (owner === undefined && opts.olderSandboxLayout && (await store.sessions.list()).length > 0) owner = 'sandbox';
  if (owner !== undefined && owner !== opts.network) {
    if (!opts.allowSwitch) throw new StoreError('NETWORK_MISMATCH', refusal(opts.where, owner), { recorded: owner, network: opts.network });
    opts.logger?.warn({ from: owner, to: opts.network }, 'WAGATE_ALLOW_NETWORK_SWITCH: using data written for the other network');
  }
  if (recorded !== opts.network) await store.settings.set(NETWORK_SETTING, opts.network);
}
