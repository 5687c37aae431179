/** `wagate sessions ls|create|connect|disconnect|logout|delete`: the session lifecycle over the HTTP API. */
import type { Command } from 'commander';
import type { SessionView } from '../../core/model.js';
import { apiOf, globalsOf, say, sayJson, table } from '../context.js';

const enc = encodeURIComponent;

function showSession(command: Command, view: SessionView, done: string): void {
  if (globalsOf(command).json) sayJson(view);
  else say(`${done}: ${view.sessionId} (${view.state})`);
}

export function sessionsCommand(program: Command): void {
  const sessions = program.command('sessions').description('list, create, connect and remove sessions on a running gateway');

  sessions
    .command('ls')
    .alias('list')
    .description('list sessions with their state and linked phone')
    .option('--state <state>', 'only sessions in this state (e.g. connected, qr, inactive)')
    .action(async (opts: { state?: string }, command: Command) => {
      const query = opts.state ? `?state=${enc(opts.state)}` : '';
      const list = await apiOf(command).call<SessionView[]>('GET', `/sessions${query}`);
      if (globalsOf(command).json) return sayJson(list);
      if (list.length === 0) return say('No sessions. Create one with: wagate sessions create <id>');
      say(
        table(
          ['SESSION', 'STATE', 'PHONE', 'NAME'],
          list.map((s) => [s.sessionId, s.state, s.me ? `+${s.me.phoneNumber}` : '-', s.displayName ?? '']),
        ),
      );
    });

  sessions
    .command('create')
    .description('create a session (the gateway picks an id when none is given)')
    .argument('[session]', 'session id: letters, digits, - and _')
    .option('--name <displayName>', 'a name to show for it')
    .action(async (sessionId: string | undefined, opts: { name?: string }, command: Command) => {
      const view = await apiOf(command).call<SessionView>('POST', '/sessions', {
        ...(sessionId === undefined ? {} : { sessionId }),
        ...(opts.name === undefined ? {} : { displayName: opts.name }),
      });
      if (globalsOf(command).json) return sayJson(view);
      say(`Created session ${view.sessionId}. Link it to a phone with: wagate pair ${view.sessionId}`);
    });

  const lifecycle: Array<[string, string, string, string]> = [
    ['connect', 'connect (a paired session reconnects; an unpaired one starts linking)', 'connect', 'Connecting'],
    ['disconnect', 'disconnect, keeping the link (connect again without pairing)', 'disconnect', 'Disconnected'],
    ['logout', 'unlink the device from the phone and forget its credentials', 'logout', 'Logged out'],
  ];
  for (const [name, description, route, done] of lifecycle) {
    sessions
      .command(name)
      .description(description)
      .argument('<session>', 'session id')
      .action(async (sessionId: string, _opts: unknown, command: Command) => {
        const view = await apiOf(command).call<SessionView>('POST', `/sessions/${enc(sessionId)}/${route}`);
        showSession(command, view, done);
      });
  }

  sessions
    .command('delete')
    .alias('rm')
    .description('log out (when linked) and remove the session with its credentials and history')
    .argument('<session>', 'session id')
    .action(async (sessionId: string, _opts: unknown, command: Command) => {
      const result = await apiOf(command).call<{ sessionId: string }>('DELETE', `/sessions/${enc(sessionId)}`);
      if (globalsOf(command).json) return sayJson(result);
      say(`Deleted session ${result.sessionId}`);
    });
}
