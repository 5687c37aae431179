import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { silenceLibsignalConsole } from '../../src/engine/baileys/libsignalConsole.js';

const require = createRequire(import.meta.url);

interface SessionEntryLike {
  indexInfo: { closed: number; baseKey: Buffer };
  currentRatchet: { rootKey: Buffer };
}
interface SessionRecordLike {
  closeSession(entry: SessionEntryLike): void;
  openSession(entry: SessionEntryLike): void;
}
const SessionRecord = require('libsignal/src/session_record.js') as {
  new (): SessionRecordLike;
  createEntry(): SessionEntryLike;
};

describe('libsignal console lines', () => {
  it('never print a session record with its keys; only the bare text reaches the log, at debug', () => {
    const printed: unknown[][] = [];
    for (const method of ['info', 'warn', 'error', 'log'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args);
      });
    }
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    silenceLibsignalConsole(pino({ level: 'debug' }, sink));

    const secret = Buffer.from('root-key-material-never-logged');
    const entry = SessionRecord.createEntry();
    entry.indexInfo = { closed: -1, baseKey: Buffer.from('base') };
    entry.currentRatchet = { rootKey: secret };
    const record = new SessionRecord();
    record.closeSession(entry); // libsignal: console.info("Closing session:", session)
    record.openSession(entry);
    console.warn('a line of our own'); // not libsignal's: passes through unchanged

    vi.restoreAllMocks();
    expect(printed).toEqual([['a line of our own']]);
    const logged = lines.join('');
    expect(logged).toContain('Closing session');
    expect(logged).toContain('Opening session');
    expect(logged).not.toContain(secret.toString('base64'));
    expect(logged).not.toContain('root-key-material');
    expect(logged).not.toContain('rootKey');
  });
});
