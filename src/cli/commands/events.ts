/**
 * `wagate events [session]`: tails the event stream (one session's, or every
 * session's with the admin key), one line per event, or one JSON object per
 * line with --json. Reconnects with Last-Event-ID when the stream drops.
 */
import type { Command } from 'commander';
import type { GatewayEvent } from '../../core/model.js';
import { apiOf, globalsOf, say } from '../context.js';
import { followEvents } from '../eventStream.js';
import { CliError, EXIT } from '../exitCodes.js';

/** The few fields worth a glance per event type; --json has everything. */
function summary(event: GatewayEvent): string {
  const d = event.data;
  switch (event.type) {
    case 'connection.state':
      return `${String(d.previous)} → ${String(d.state)}${d.reason ? ` (${String(d.reason)})` : ''}`;
    case 'auth.qr':
      return `new QR, valid ${Math.round(Number(d.ttlMs) / 1000)} s`;
    case 'auth.pairing_code':
      return `code for +${String(d.phoneNumber)}`;
    default: {
      const text = JSON.stringify(d);
      return text.length > 160 ? `${text.slice(0, 157)}...` : text;
    }
  }
}

export function eventsCommand(program: Command): void {
  program
    .command('events')
    .description("tail the gateway's events (every session's, or one session's), reconnecting where it left off")
    .argument('[session]', 'only this session (else all sessions: needs the admin key)')
    .option('--since <eventId>', 'replay the buffered events after this id first')
    .action(async (sessionId: string | undefined, opts: { since?: string }, command: Command) => {
      const since = opts.since === undefined ? undefined : Number(opts.since);
      if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0)) {
        throw new CliError('--since must be an event id (a whole number)', EXIT.USAGE);
      }
      const json = globalsOf(command).json === true;
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      await followEvents(apiOf(command), {
        path: sessionId === undefined ? '/events' : `/sessions/${encodeURIComponent(sessionId)}/events`,
        lastEventId: since,
        signal: controller.signal,
        onOpen: (reconnected) => {
          if (!json) process.stderr.write(reconnected ? 'Reconnected; resuming.\n' : 'Following events; Ctrl-C stops.\n');
        },
        onDrop: (reason, delayMs) => process.stderr.write(`Stream dropped (${reason}); reconnecting in ${Math.round(delayMs / 100) / 10} s…\n`),
        onEvent: (event) => {
          if (json) say(JSON.stringify(event));
          else say(`${event.createdAt}  #${event.id}  ${event.sessionId}  ${event.type}  ${summary(event)}`);
        },
      });
    });
}
