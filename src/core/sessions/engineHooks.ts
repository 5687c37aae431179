/**
 * What a session's runtime reports, turned into session changes. Every
 * change runs on the session's queue through `runInBackground`, so an
 * engine event never interleaves with a command, and one that does not fit
 * (an impossible transition, a failed write) is logged and counted instead
 * of ending the process. Events from a runtime that is no longer the
 * session's own (stopped, replaced, deleted) are ignored.
 */
import type { Logger } from 'pino';
import type { EngineIdentity } from '../../engine/types.js';
import type { InMemoryEventBus } from '../eventBus.js';
import type { RunInBackground } from './backgroundChange.js';
import type { SessionLinking } from './linking.js';
import type { CloseDecision } from './reconnectPolicy.js';
import type { SessionEntry } from './sessionEntry.js';
import type { SessionRegistry } from './sessionRegistry.js';
import type { RuntimeHooks, SessionRuntime, TrafficEvent } from './sessionRuntime.js';
import type { SessionWriter } from './sessionWriter.js';
import { canTransition } from './stateMachine.js';

export type EndAction = Exclude<CloseDecision, { action: 'retry' }>['action'];

export interface EngineHookDeps {
  registry: SessionRegistry;
  writer: SessionWriter;
  linking: SessionLinking;
  events: InMemoryEventBus;
  logger: Logger;
  runInBackground: RunInBackground;
  /** Messages and receipts, for whoever handles them (messaging). */
  onTraffic(sessionId: string, event: TrafficEvent): void;
  /** The runtime ended for good; runs on the queue once no newer runtime took its place. */
  onEnded(entry: SessionEntry, action: EndAction, code: number, reason: string): Promise<void>;
}

/** Hooks for one runtime of one session; `runtime()` names the runtime they belong to. */
export function engineHooks(deps: EngineHookDeps, entry: SessionEntry, runtime: () => SessionRuntime | null): RuntimeHooks {
  const { writer, linking, events, runInBackground } = deps;
  const id = entry.row.id;
  const log = deps.logger.child({ sessionId: id });
  const mine = (): boolean => deps.registry.isCurrent(entry) && entry.runtime !== null && entry.runtime === runtime();
  /** Queue a change that only applies while this runtime is still the session's. */
  const whileMine = (what: string, change: () => Promise<void>): void =>
    runInBackground(entry, what, async () => {
      if (mine()) await change();
    });

  return {
    connecting: (reason) => {
      if (!mine()) return;
      whileMine('reconnecting', () => writer.transition(entry, 'connecting', { code: null, reason }));
    },
    qr: (qr, ttlMs) => {
      if (!mine()) return;
      linking.setQr(entry, qr, ttlMs);
      whileMine('QR shown', async () => {
        if (entry.row.meJid !== null && canTransition(entry.row.state, 'qr')) {
          // The engine shows a QR only for credentials that are not a link (lost, or a kill between
          // writes): the session is unlinked, whatever its row said, and the QR can link it again.
          log.warn('the stored credentials are not a link; the session is unlinked and shows a QR to link again');
          await writer.patch(entry, { meJid: null, meLid: null, meName: null });
        }
        if (entry.row.state !== 'pairing_code') await writer.transition(entry, 'qr', { code: null, reason: 'waiting for a QR scan' });
      });
    },
    paired: (identity) => {
      if (!mine()) return;
      linking.clear(entry);
      // The identity is the link itself: record it at once, whatever the state does next.
      // A failed write is logged and counted on the session's write chain.
      recordIdentity(writer, entry, identity, false).catch(() => undefined);
      events.emit('auth.paired', id, { me: deps.registry.view(entry).me });
      log.info({ jid: identity.jid }, 'device linked');
      whileMine('linked', async () => {
        // Only from a linking state: the event follows the credential write and may land after the login.
        if (entry.row.state === 'qr' || entry.row.state === 'pairing_code') {
          await writer.transition(entry, 'connecting', { code: null, reason: 'linked; logging in' });
        }
      });
    },
    open: (identity) => {
      if (!mine()) return;
      linking.clear(entry);
      recordIdentity(writer, entry, identity, true).catch(() => undefined);
      whileMine('logged in', () => writer.transition(entry, 'connected', { code: null, reason: 'logged in' }));
    },
    pairingFailed: (reason) => {
      if (!mine()) return;
      log.warn({ reason }, 'pairing code was not accepted');
      events.emit('auth.pairing_failed', id, { reason, phoneNumber: entry.pairing?.phoneNumber ?? null, stillWaiting: true });
    },
    retrying: (code, reason, delayMs, attempt) => {
      if (!mine()) return;
      log.info({ code, reason, delayMs, attempt }, 'connection closed; reconnecting');
      linking.clear(entry);
      whileMine('connection dropped', () =>
        writer.transition(entry, 'connecting', { code, reason: `${reason}; reconnecting in ${delayMs} ms` }, true),
      );
    },
    traffic: (event) => {
      if (mine()) deps.onTraffic(id, event);
    },
    ended: (decision, code, reason) => {
      if (!mine()) return;
      entry.runtime = null;
      linking.clear(entry);
      const why = decision.action === 'give_up' ? decision.reason : reason;
      runInBackground(entry, 'connection ended', async () => {
        // A connect after the end started a new runtime: its own events decide the state.
        if (deps.registry.isCurrent(entry) && entry.runtime === null) await deps.onEnded(entry, decision.action, code, why);
      });
    },
  };
}

/** The account the engine linked or logged in as. Never rejects: the writer logs failed writes. */
function recordIdentity(writer: SessionWriter, entry: SessionEntry, identity: EngineIdentity, loggedIn: boolean): Promise<void> {
  if (!loggedIn) return writer.patch(entry, { meJid: identity.jid, meLid: identity.lid, meName: identity.name });
  return writer.patch(entry, {
    meJid: identity.jid,
    meLid: identity.lid ?? entry.row.meLid,
    meName: identity.name ?? entry.row.meName,
    lifetimeStatus: 'connected',
    connectedAt: new Date().toISOString(),
    wantConnected: true,
  });
}
