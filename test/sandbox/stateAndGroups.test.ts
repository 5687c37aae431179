import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { TestClient, pairByQr, trustSandbox } from './helpers.js';

describe('sandbox state and groups', () => {
  const cleanup: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('keeps phones, devices and its root key across a restart with stateDir', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'wagate-sandbox-'));
    cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));

    const first = await SandboxNetwork.start({ stateDir });
    trustSandbox(first);
    const phone = first.createPhone('15550004444', 'Alice');
    const { client, auth, device } = await pairByQr(first, '15550004444');
    client.end();
    await client.close();
    const rootKey = Buffer.from(first.rootPublicKey);
    await first.stop();

    const second = await SandboxNetwork.start({ stateDir });
    cleanup.push(() => second.stop());
    expect(Buffer.from(second.rootPublicKey).equals(rootKey)).toBe(true);
    expect(second.phone('15550004444')).toEqual(phone);
    expect(second.devices('15550004444')).toEqual([{ ...device, connected: false }]);

    const again = new TestClient(second, auth);
    cleanup.push(() => again.end());
    await again.open();
    expect(second.devices('15550004444')[0]?.connected).toBe(true);
  });

  it('without stateDir every start is a fresh network', async () => {
    const a = await SandboxNetwork.start();
    a.createPhone('15550005555');
    await a.stop();
    const b = await SandboxNetwork.start();
    cleanup.push(() => b.stop());
    expect(b.listPhones()).toEqual([]);
    expect(Buffer.from(b.rootPublicKey).equals(Buffer.from(a.rootPublicKey))).toBe(false);
  });

  it('phones: created once, appear on first use, bad numbers refused', async () => {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    const alice = net.createPhone('15550006666', 'Alice');
    expect(alice).toMatchObject({ phoneNumber: '15550006666', name: 'Alice' });
    expect(alice.lid).toMatch(/^\d{15}$/);
    expect(() => net.createPhone('15550006666')).toThrow(expect.objectContaining({ code: 'PHONE_EXISTS' }));
    expect(net.getOrCreatePhone('15550006666')).toEqual(alice);
    expect(net.getOrCreatePhone('15550007777').phoneNumber).toBe('15550007777');
    expect(net.listPhones().map((p) => p.phoneNumber).sort()).toEqual(['15550006666', '15550007777']);
    expect(() => net.createPhone('+1 555')).toThrow(expect.objectContaining({ code: 'INVALID_PHONE_NUMBER' }));
    expect(net.phone('15550008888')).toBeUndefined();
    expect(net.devices('15550008888')).toEqual([]);
  });

  it('answers the participating-groups query with the groups the phone is in', async () => {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    trustSandbox(net);
    const mine = net.addGroup('Support team', ['15550009999', '15550001234', '15550004321']);
    net.addGroup('Not mine', ['15550001234']);
    const { client } = await pairByQr(net, '15550009999');
    cleanup.push(() => client.end());

    const groups = await client.sock.groupFetchAllParticipating();
    expect(Object.keys(groups)).toEqual([mine.id]);
    expect(groups[mine.id]).toMatchObject({ subject: 'Support team', size: 3 });
    expect(groups[mine.id]!.participants).toHaveLength(3);

    const meta = await client.sock.groupMetadata(mine.id);
    expect(meta.subject).toBe('Support team');
  });
});
