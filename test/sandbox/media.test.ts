import { createHash, randomBytes } from 'node:crypto';
import { downloadMediaMessage, getBinaryNodeChild } from 'baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxMediaAgent, sandboxMediaDispatcher } from '../../src/engine/baileys/sandboxMedia.js';
import { SandboxNetwork } from '../../src/sandbox/index.js';
import { pairByQr, trustSandbox } from './helpers.js';

/** Poll until the phone shows `count` messages (delivery happens after sendMessage resolves). */
async function inbox(net: SandboxNetwork, phone: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = net.messages(phone);
    if (messages.length >= count || Date.now() > deadline) return messages;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ALICE = '15550001111';
const BOB = '15550002222';

describe('sandbox media host', () => {
  const cleanup: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup() {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    trustSandbox(net);
    net.createPhone(BOB, 'Bob');
    const agent = new SandboxMediaAgent();
    cleanup.push(() => agent.destroy());
    const { client } = await pairByQr(net, ALICE, undefined, { fetchAgent: agent });
    cleanup.push(() => client.end());
    return { net, client };
  }

  it('the engine uploads an encrypted image with sendMessage; the phone downloads and decrypts the same bytes', async () => {
    const { net, client } = await setup();
    const image = randomBytes(50_000);
    const sent = await client.sock.sendMessage(`${BOB}@s.whatsapp.net`, { image, caption: 'the receipt', mimetype: 'image/jpeg' });
    const [received] = await inbox(net, BOB, 1);
    expect(received).toMatchObject({
      id: sent!.key.id,
      from: ALICE,
      text: 'the receipt',
      media: { type: 'image', mimetype: 'image/jpeg', fileLength: 50_000, caption: 'the receipt' },
    });
    expect(net.receivedMedia(BOB, sent!.key.id!).equals(image)).toBe(true);
    // What the sender put in its message is where the file is: on the sandbox's port, encrypted.
    const content = sent!.message!.imageMessage!;
    expect(content.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v\//);
    expect(content.directPath).toMatch(/^\/v\//);
  });

  it('carries documents, audio, voice notes, video and stickers', async () => {
    const { net, client } = await setup();
    const files = {
      document: randomBytes(3000),
      audio: randomBytes(4000),
      voice: randomBytes(2000),
      video: randomBytes(6000),
      sticker: randomBytes(1500),
    };
    const to = `${BOB}@s.whatsapp.net`;
    const ids = [
      (await client.sock.sendMessage(to, { document: files.document, mimetype: 'application/pdf', fileName: 'invoice.pdf' }))!.key.id!,
      (await client.sock.sendMessage(to, { audio: files.audio, mimetype: 'audio/mpeg', seconds: 3 }))!.key.id!,
      (await client.sock.sendMessage(to, { audio: files.voice, mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 2 }))!.key.id!,
      (await client.sock.sendMessage(to, { video: files.video, mimetype: 'video/mp4', caption: 'clip', jpegThumbnail: '' }))!.key.id!,
      (await client.sock.sendMessage(to, { sticker: files.sticker }))!.key.id!,
    ];
    const received = await inbox(net, BOB, 5);
    expect(received.map((m) => m.media?.type)).toEqual(['document', 'audio', 'voice', 'video', 'sticker']);
    expect(received[0]!.media).toMatchObject({ mimetype: 'application/pdf', fileName: 'invoice.pdf' });
    const expected = Object.values(files);
    ids.forEach((id, i) => expect(net.receivedMedia(BOB, id).equals(expected[i]!)).toBe(true));
  });

  it('refuses an upload whose body is not the file hash in its URL, and one without a media_conn token', async () => {
    const { net, client } = await setup();
    const answer = await client.sock.query({
      tag: 'iq',
      attrs: { type: 'set', xmlns: 'w:m', to: 's.whatsapp.net' },
      content: [{ tag: 'media_conn', attrs: {} }],
    });
    const mediaConn = getBinaryNodeChild(answer, 'media_conn');
    const host = getBinaryNodeChild(mediaConn, 'host')?.attrs.hostname;
    expect(host).toBe(net.media.host);
    const auth = mediaConn!.attrs.auth!;
    const body = randomBytes(100);
    const otherHash = Buffer.alloc(32, 7).toString('base64url');
    const post = (hash: string, token: string) =>
      fetch(`http://${host}/mms/image/${hash}?auth=${encodeURIComponent(token)}&token=${hash}`, { method: 'POST', body });
    const mismatch = await post(otherHash, auth);
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toEqual({ error: 'fileEncSha256 in the path does not match the body' });
    const rightHash = createHash('sha256').update(body).digest('base64url');
    expect((await post(rightHash, 'not-a-token')).status).toBe(401);
    const ok = await post(rightHash, auth);
    expect(ok.status).toBe(200);
    const { direct_path: directPath } = (await ok.json()) as { direct_path: string };
    const back = await fetch(`http://${host}${directPath}`);
    expect(Buffer.from(await back.arrayBuffer()).equals(body)).toBe(true);
    expect((await fetch(`http://${host}/v/t62.7118-24/nothing.enc`)).status).toBe(404);
  });

  it('a phone\'s media content is downloaded and decrypted by the real engine', async () => {
    const net = await SandboxNetwork.start();
    cleanup.push(() => net.stop());
    const photo = randomBytes(20_000);
    const content = net.phoneMediaContent({ type: 'image', base64: photo.toString('base64'), mimetype: 'image/png', caption: 'from the phone' });
    expect(content.imageMessage).toMatchObject({ mimetype: 'image/png', caption: 'from the phone', fileLength: 20_000 });
    const dispatcher = sandboxMediaDispatcher();
    cleanup.push(() => dispatcher.close());
    const bytes = await downloadMediaMessage(
      { key: { remoteJid: `${BOB}@s.whatsapp.net`, id: 'PHONE1', fromMe: false }, message: content },
      'buffer',
      { options: { dispatcher } as RequestInit },
    );
    expect(Buffer.from(bytes).equals(photo)).toBe(true);

    const doc = net.phoneMediaContent({ type: 'document', base64: Buffer.from('%PDF-1.4 hello').toString('base64'), mimetype: 'application/pdf', fileName: 'a.pdf' });
    expect(doc.documentMessage).toMatchObject({ fileName: 'a.pdf', mimetype: 'application/pdf' });
    expect(() => net.phoneMediaContent({ type: 'gif' as 'image', base64: 'AAAA' })).toThrow(/type must be one of/);
    expect(() => net.phoneMediaContent({ type: 'image', base64: '' })).toThrow(/non-empty/);
  });
});
