import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { makeBaileysLogger } from '../../src/engine/baileys/baileysLogger.js';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const root = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { root, lines };
}

describe('makeBaileysLogger', () => {
  it('writes warn and above with the session id, demotes the expected noise, hides info', () => {
    const { root, lines } = capture('info');
    const log = makeBaileysLogger(root.child({ sessionId: 's1' }));
    expect(log.level).toBe('warn');
    log.info({ a: 1 }, 'every frame');
    log.debug('more detail');
    const ns = log.child({ class: 'ns' });
    expect(ns.level).toBe('warn');
    ns.warn({ b: 2 }, 'a real warning');
    ns.warn('stream errored out');
    log.error(new Error('boom'), 'a real error');
    expect(lines.map((l) => [l.level, l.msg, l.sessionId, l.component, l.class])).toEqual([
      [40, 'a real warning', 's1', 'baileys', 'ns'],
      [50, 'a real error', 's1', 'baileys', undefined],
    ]);
  });

  it('follows a quieter gateway level and a level set later', () => {
    const quiet = capture('error');
    const log = makeBaileysLogger(quiet.root);
    expect(log.level).toBe('error');
    log.warn('hidden');
    expect(quiet.lines).toHaveLength(0);

    const { root, lines } = capture('trace');
    const chatty = makeBaileysLogger(root);
    expect(chatty.level).toBe('warn');
    chatty.level = 'debug';
    expect(chatty.level).toBe('debug');
    chatty.child({ class: 'x' }).debug({ c: 3 }, 'now shown');
    expect(lines.map((l) => l.msg)).toEqual(['now shown']);
  });
});
