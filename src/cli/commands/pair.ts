/**
 * `wagate pair <session> [--phone <number>]`: links a session to a phone and
 * exits 0 once it is connected. It follows the session's event stream
 * (opened before connecting, so nothing is missed): each `auth.qr` redraws
 * the QR; with --phone, the first one (the connection is ready) triggers the
 * pairing-code request instead. `connection.state` → connected ends it.
 */
import type { Command } from 'commander';
import type { GatewayEvent, PairingCodeInfo, QrInfo, SessionView } from '../../core/model.js';
import type { ApiClient } from '../apiClient.js';
import { apiOf, say } from '../context.js';
import { followEvents } from '../eventStream.js';
import { CliError, EXIT } from '../exitCodes.js';
import { PairDisplay } from './pairDisplay.js';

const DEFAULT_TIMEOUT_S = 300;
/** States after which waiting longer cannot end in a link. */
const GIVE_UP_STATES = new Set(['error', 'logged_out', 'conflict']);

interface PairOptions {
  phone?: string;
  timeout: string;
}

class Pairing {
  private codeRequested = false;
  private readonly display: PairDisplay;

  constructor(
    private readonly api: ApiClient,
    private readonly sessionId: string,
    private readonly phone: string | undefined,
    private readonly stop: (err?: CliError) => void,
  ) {
    this.display = new PairDisplay(sessionId);
  }

  private get base(): string {
    return `/sessions/${encodeURIComponent(this.sessionId)}`;
  }

  /** Stream open: connect, then act on what is already there (linking began before we listened). */
  async start(): Promise<void> {
    const view = await this.api.call<SessionView>('POST', `${this.base}/connect`);
    if (this.phone !== undefined) {
      if (view.state === 'qr' || view.state === 'pairing_code') await this.requestCode();
      return;
    }
    if (view.state === 'qr') {
      const qr = await this.api.call<QrInfo>('GET', `${this.base}/auth/qr`).catch(() => undefined);
      if (qr) await this.display.qr(qr.qr, qr.ttlMs);
    }
  }

  /** true when the session is linked and connected. */
  async onEvent(event: GatewayEvent): Promise<boolean> {
    const data = event.data;
    switch (event.type) {
      case 'auth.qr':
        await this.onQr(String(data.qr), Number(data.ttlMs));
        return false;
      case 'auth.pairing_failed':
        this.display.note('The phone entered a wrong code; still waiting for the right one.');
        return false;
      case 'auth.paired':
        this.display.stopCountdown();
        this.display.note('Linked; connecting…');
        return false;
      case 'connection.state':
        if (data.state === 'connected') return true;
        if (GIVE_UP_STATES.has(String(data.state))) {
          this.display.stopCountdown();
          throw new CliError(`Session ${this.sessionId} stopped linking: ${String(data.state)} (${String(data.reason ?? 'no reason given')}).`);
        }
        return false;
      default:
        return false;
    }
  }

  /** A QR means the connection is ready: draw it, or (--phone) ask for the code instead. */
  private async onQr(qr: string, ttlMs: number): Promise<void> {
    if (this.phone === undefined) return this.display.qr(qr, ttlMs);
    await this.requestCode();
  }

  private async requestCode(): Promise<void> {
    if (this.codeRequested || this.phone === undefined) return;
    this.codeRequested = true;
    const info = await this.api.call<PairingCodeInfo>('POST', `${this.base}/auth/pairing-code`, { phoneNumber: this.phone });
    this.display.code(info.code, info.phoneNumber, info.ttlMs, () =>
      this.stop(new CliError(`The pairing code expired before it was entered. Run "wagate pair ${this.sessionId} --phone ${this.phone}" again for a new one.`, EXIT.TIMEOUT)),
    );
  }

  finish(): void {
    this.display.stopCountdown();
  }
}

async function pair(sessionId: string, opts: PairOptions, command: Command): Promise<void> {
  const timeoutS = Number(opts.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new CliError('--timeout must be a number of seconds above 0', EXIT.USAGE);
  const api = apiOf(command);
  const status = await api.call<SessionView>('GET', `/sessions/${encodeURIComponent(sessionId)}/status`);
  if (status.connected) {
    say(`Session ${sessionId} is already linked${status.me ? ` to +${status.me.phoneNumber}` : ''} and connected.`);
    return;
  }

  const controller = new AbortController();
  let failure: CliError | undefined;
  const stop = (err?: CliError): void => {
    failure ??= err;
    controller.abort();
  };
  const pairing = new Pairing(api, sessionId, opts.phone, stop);
  const timer = setTimeout(
    () => stop(new CliError(`Session ${sessionId} was not linked within ${timeoutS} s (--timeout).`, EXIT.TIMEOUT)),
    timeoutS * 1000,
  );
  let linked = false;
  try {
    await followEvents(api, {
      path: `/sessions/${encodeURIComponent(sessionId)}/events`,
      signal: controller.signal,
      onOpen: async (reconnected) => {
        if (!reconnected) await pairing.start();
      },
      onEvent: async (event) => (linked = await pairing.onEvent(event)),
    });
  } finally {
    clearTimeout(timer);
    pairing.finish();
  }
  if (failure) throw failure;
  if (!linked) throw new CliError(`Stopped before session ${sessionId} was linked.`);
  const view = await api.call<SessionView>('GET', `/sessions/${encodeURIComponent(sessionId)}/status`);
  say(`Session ${sessionId} is linked${view.me ? ` to +${view.me.phoneNumber}` : ''} and connected.`);
}

export function pairCommand(program: Command): void {
  program
    .command('pair')
    .description('link a session to a phone: shows the QR as it rotates, or a pairing code with --phone; exits 0 once linked')
    .argument('<session>', 'session id (create it first with: wagate sessions create <id>)')
    .option('--phone <number>', 'link with a pairing code for this phone number (international format, e.g. 15551234567)')
    .option('--timeout <seconds>', 'give up after this long (exit code 5)', String(DEFAULT_TIMEOUT_S))
    .action(pair);
}
