import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { SandboxMediaAgent, isLoopback } from '../../src/engine/baileys/sandboxMedia.js';

describe('sandbox media agent', () => {
  it('dials a loopback media host without TLS and keeps TLS for every other host', () => {
    const agent = new SandboxMediaAgent();
    const local = agent.createConnection({ host: '127.0.0.1', port: 9 });
    const remote = agent.createConnection({ host: 'mmg.whatsapp.net.invalid', port: 443, servername: 'mmg.whatsapp.net.invalid' } as never);
    try {
      expect(local).toBeInstanceOf(Socket);
      expect(local).not.toBeInstanceOf(TLSSocket);
      expect(remote).toBeInstanceOf(TLSSocket);
    } finally {
      local.on('error', () => {}).destroy();
      remote.on('error', () => {}).destroy();
      agent.destroy();
    }
    expect(['127.0.0.1', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(isLoopback('mmg.whatsapp.net')).toBe(false);
    expect(isLoopback('127.0.0.1.nip.io')).toBe(false);
  });
});
