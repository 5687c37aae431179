/**
 * `wagate keys ls|create|revoke|rotate`: session API keys (a key that can
 * act on one session only) over the HTTP API, with the admin key. The admin
 * key itself is WAGATE_API_KEY: change it there and restart (docs/deployment.md).
 */
import type { Command } from 'commander';
import { apiOf, globalsOf, say, sayJson, table } from '../context.js';

interface KeyInfo {
  keyId: string;
  sessionId: string | null;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

interface CreatedKey extends KeyInfo {
  key: string;
}

const keysPath = (sessionId: string): string => `/sessions/${encodeURIComponent(sessionId)}/keys`;

function showCreated(command: Command, created: CreatedKey, verb: string): void {
  if (globalsOf(command).json) return sayJson(created);
  say(`${verb} key ${created.keyId} for session ${created.sessionId}${created.label ? ` (${created.label})` : ''}.`);
  say('The key (shown only now; store it):');
  say(`  ${created.key}`);
}

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description("manage a session's API keys (needs the admin key)");

  keys
    .command('ls')
    .alias('list')
    .description("list a session's keys (ids and labels, never the keys)")
    .argument('<session>', 'session id')
    .action(async (sessionId: string, _opts: unknown, command: Command) => {
      const list = await apiOf(command).call<KeyInfo[]>('GET', keysPath(sessionId));
      if (globalsOf(command).json) return sayJson(list);
      if (list.length === 0) return say(`Session ${sessionId} has no keys. Make one with: wagate keys create ${sessionId}`);
      say(table(['KEY ID', 'LABEL', 'CREATED', 'LAST USED'], list.map((k) => [k.keyId, k.label ?? '', k.createdAt, k.lastUsedAt ?? 'never'])));
    });

  keys
    .command('create')
    .description('make a key that works only for this session')
    .argument('<session>', 'session id')
    .option('--label <label>', 'what the key is for')
    .action(async (sessionId: string, opts: { label?: string }, command: Command) => {
      const created = await apiOf(command).call<CreatedKey>('POST', keysPath(sessionId), opts.label === undefined ? {} : { label: opts.label });
      showCreated(command, created, 'Created');
    });

  keys
    .command('revoke')
    .description('revoke a key at once')
    .argument('<session>', 'session id')
    .argument('<keyId>', 'the key id (from wagate keys ls)')
    .action(async (sessionId: string, keyId: string, _opts: unknown, command: Command) => {
      await apiOf(command).call('DELETE', `${keysPath(sessionId)}/${encodeURIComponent(keyId)}`);
      if (globalsOf(command).json) return sayJson({ keyId, deleted: true });
      say(`Revoked key ${keyId} of session ${sessionId}.`);
    });

  keys
    .command('rotate')
    .description('replace a key: makes a new one with the same label, then revokes the old one')
    .argument('<session>', 'session id')
    .argument('<keyId>', 'the key id to replace')
    .action(async (sessionId: string, keyId: string, _opts: unknown, command: Command) => {
      const api = apiOf(command);
      const old = (await api.call<KeyInfo[]>('GET', keysPath(sessionId))).find((k) => k.keyId === keyId);
      // Revoking first would fail the same way for an unknown id, but after nothing was made.
      if (!old) await api.call('DELETE', `${keysPath(sessionId)}/${encodeURIComponent(keyId)}`);
      const created = await api.call<CreatedKey>('POST', keysPath(sessionId), old?.label ? { label: old.label } : {});
      await api.call('DELETE', `${keysPath(sessionId)}/${encodeURIComponent(keyId)}`);
      showCreated(command, created, `Replaced ${keyId} with`);
    });
}
