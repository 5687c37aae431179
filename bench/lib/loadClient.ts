/**
 * A light WhatsApp Web client for loading the sandbox alone: the real Noise
 * XX handshake as the client does it (WA intro header, clientHello,
 * serverHello with the certificate chain checked against the sandbox's root,
 * clientFinish carrying a registration ClientPayload built by Baileys'
 * `generateRegistrationNode`), then binary nodes over the transport cipher.
 * It answers the server's `pair-device` IQ like Baileys does and sends
 * keepalive pings (`<iq xmlns="w:p" type="get"><ping/></iq>`) on request.
 *
 * No Baileys socket, no auth state, no event buffers, so that one driver
 * process can open thousands of these without becoming the bottleneck:
 * X25519 runs on Node's KeyObjects, XEdDSA (the signed pre-key, the
 * certificate checks) on whatsapp-rust-bridge's WASM functions, and a
 * certificate chain already verified against the same root is not verified
 * again (same bytes, same answer).
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomInt,
  type KeyObject,
} from 'node:crypto';
import {
  Browsers,
  DEFAULT_CONNECTION_CONFIG,
  decodeBinaryNode,
  encodeBinaryNode,
  generateRegistrationNode,
  proto,
  type BinaryNode,
  type SocketConfig,
} from 'baileys';
import * as wasm from 'whatsapp-rust-bridge';
import { WebSocket } from 'ws';
import { NoiseSymmetricState, TransportCipher } from '../../src/sandbox/noise/symmetricState.js';
import { PendingQueries } from '../../src/sandbox/stream/pendingQueries.js';
import { FrameReader, WA_HEADER, encodeFrame } from '../../src/sandbox/transport/framing.js';

const KEY_TYPE = Buffer.from([5]);
const ROOT_SERIAL = 0;

const REGISTRATION_CONFIG = {
  ...DEFAULT_CONNECTION_CONFIG,
  browser: Browsers.macOS('Chrome'),
  syncFullHistory: false,
} as SocketConfig;

export interface KeyPair {
  public: Buffer;
  private: Buffer;
}

/** An X25519 key pair whose private half also lives as a Node KeyObject (for agreements). */
export interface AgreeingKeyPair extends KeyPair {
  privateKey: KeyObject;
}

/** X25519 key pair (32-byte keys, no 0x05 prefix). */
export function generateKeyPair(): AgreeingKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { public: Buffer.from(jwk.x!, 'base64url'), private: Buffer.from(jwk.d!, 'base64url'), privateKey };
  void publicKey;
}

/** A fresh ephemeral: only the public half is exported. */
function ephemeralKeyPair(): { public: Buffer; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { public: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'), privateKey };
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error('X25519 public key must be 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

function agree(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey });
}

/** Certificate chains (decrypted bytes + root) that verified; bounded. */
const verifiedChains = new Set<string>();

function verify(publicKey: Uint8Array | null | undefined, message: Uint8Array | null | undefined, signature: Uint8Array | null | undefined): boolean {
  if (!publicKey || !message || !signature || signature.length !== 64) return false;
  try {
    return wasm.verifySignature(publicKey.length === 33 ? publicKey.subarray(1) : publicKey, message, signature) === true;
  } catch {
    return false;
  }
}

/** What a companion registers with: its Signal identity and a signed pre-key (like Baileys' initAuthCreds). */
export interface LoadCreds {
  noiseKey: AgreeingKeyPair;
  identity: KeyPair;
  signedPreKey: { keyId: number; keyPair: KeyPair; signature: Buffer };
  registrationId: number;
}

export function newCreds(): LoadCreds {
  const identity = generateKeyPair();
  const preKey = generateKeyPair();
  const signature = Buffer.from(wasm.calculateSignature(identity.private, Buffer.concat([KEY_TYPE, preKey.public])));
  return {
    noiseKey: generateKeyPair(),
    identity,
    signedPreKey: { keyId: 1, keyPair: preKey, signature },
    registrationId: randomInt(1, 16380),
  };
}

/** A KeyObject for a raw private key (creds built by hand, e.g. in tests). */
export function agreeingKeyPair(pair: KeyPair): AgreeingKeyPair {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(pair.private), x: b64(pair.public) }, format: 'jwk' });
  return { ...pair, privateKey };
}

export function registrationPayload(creds: LoadCreds): Buffer {
  const payload = generateRegistrationNode(
    {
      registrationId: creds.registrationId,
      signedIdentityKey: creds.identity,
      signedPreKey: creds.signedPreKey,
    } as Parameters<typeof generateRegistrationNode>[0],
    REGISTRATION_CONFIG,
  );
  return Buffer.from(proto.ClientPayload.encode(payload).finish());
}

/** Client side of WhatsApp's Noise XX (25519, AES-GCM, SHA-256), mirroring Baileys' noise handler. */
export class NoiseInitiator {
  private readonly state = new NoiseSymmetricState();
  readonly ephemeral = ephemeralKeyPair();

  constructor() {
    this.state.mixHash(WA_HEADER);
    this.state.mixHash(this.ephemeral.public);
  }

  clientHello(): Buffer {
    return Buffer.from(proto.HandshakeMessage.encode({ clientHello: { ephemeral: this.ephemeral.public } }).finish());
  }

  /**
   * Takes the serverHello, checks the certificate chain (root → intermediate →
   * leaf for the server's static key, intermediate.issuerSerial = 0) and
   * returns the clientFinish message plus the transport keys.
   */
  serverHello(message: Uint8Array, root: Uint8Array, noiseKey: AgreeingKeyPair, payload: Uint8Array): { finish: Buffer; transport: TransportCipher } {
    const hello = proto.HandshakeMessage.decode(message).serverHello;
    if (!hello?.ephemeral || !hello.static || !hello.payload) throw new Error('incomplete server hello');
    const serverEphemeral = publicKeyObject(hello.ephemeral);
    this.state.mixHash(hello.ephemeral);
    this.state.mixKey(agree(this.ephemeral.privateKey, serverEphemeral));
    const serverStatic = this.state.decrypt(hello.static);
    this.state.mixKey(agree(this.ephemeral.privateKey, publicKeyObject(serverStatic)));
    const certBytes = this.state.decrypt(hello.payload);
    checkCertChain(certBytes, root, serverStatic);
    const encryptedStatic = this.state.encrypt(noiseKey.public);
    this.state.mixKey(agree(noiseKey.privateKey, serverEphemeral));
    const encryptedPayload = this.state.encrypt(payload);
    const finish = Buffer.from(
      proto.HandshakeMessage.encode({ clientFinish: { static: encryptedStatic, payload: encryptedPayload } }).finish(),
    );
    const [write, read] = this.state.split();
    return { finish, transport: new TransportCipher(write, read) };
  }
}

/** What Baileys checks (root → intermediate → leaf, issuer serial 0), plus: the leaf certifies the static key sent. */
function checkCertChain(certBytes: Buffer, root: Uint8Array, serverStatic: Buffer): void {
  const cacheKey = `${Buffer.from(root).toString('base64')}:${certBytes.toString('base64')}:${serverStatic.toString('base64')}`;
  if (verifiedChains.has(cacheKey)) return;
  const { intermediate, leaf } = proto.CertChain.decode(certBytes);
  if (!intermediate?.details || !intermediate.signature || !leaf?.details || !leaf.signature) throw new Error('incomplete certificate chain');
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.decode(intermediate.details);
  const leafDetails = proto.CertChain.NoiseCertificate.Details.decode(leaf.details);
  if (!verify(root, intermediate.details, intermediate.signature)) throw new Error('intermediate certificate signature invalid');
  if (!verify(intermediateDetails.key, leaf.details, leaf.signature)) throw new Error('leaf certificate signature invalid');
  if (intermediateDetails.issuerSerial !== ROOT_SERIAL) throw new Error('certificate issuer serial is not the root');
  if (!leafDetails.key || !Buffer.from(leafDetails.key).equals(serverStatic)) throw new Error('leaf does not certify the server static key');
  if (verifiedChains.size > 100) verifiedChains.clear();
  verifiedChains.add(cacheKey);
}

export interface LoadClientOptions {
  url: string;
  /** The sandbox's certificate root (32 bytes). */
  rootPublicKey: Uint8Array;
  /** Give up (close, reject) when the pair-device IQ has not arrived by then. */
  timeoutMs?: number;
  creds?: LoadCreds;
}

/** Epoch-ms marks of one connection's start. */
export interface LoadTimings {
  startAt: number;
  /** The websocket is open (TCP + HTTP upgrade done). */
  openAt: number;
  /** serverHello received. */
  helloAt: number;
  /** The pair-device IQ (first stanza) received and answered. */
  pairDeviceAt: number;
}

let nextTag = 1;

/** The server answered the handshake with `<failure>` or `<stream:error>` instead of pair-device. */
export class RefusedError extends Error {
  constructor(readonly stanza: BinaryNode) {
    super(`refused: <${stanza.tag} ${Object.entries(stanza.attrs).map(([k, v]) => `${k}=${v}`).join(' ')}>`);
  }
}

/** One light client: `LoadClient.connect` resolves once the first stanza (pair-device) is in and answered. */
export class LoadClient {
  readonly creds: LoadCreds;
  /** The QR refs of the pair-device IQ. */
  refs: string[] = [];
  /** Stanzas other than pair-device and replies to our queries. */
  readonly otherStanzas: BinaryNode[] = [];
  timings: LoadTimings;
  closed = false;
  closeCode: number | null = null;

  private readonly pending = new PendingQueries();
  private readonly closeListeners: Array<() => void> = [];
  private readonly reader = new FrameReader({ intro: false });
  private transport: TransportCipher | null = null;
  private sentIntro = false;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly ws: WebSocket,
    creds: LoadCreds,
    startAt: number,
  ) {
    this.creds = creds;
    this.timings = { startAt, openAt: 0, helloAt: 0, pairDeviceAt: 0 };
  }

  get noiseKey(): string {
    return this.creds.noiseKey.public.toString('base64');
  }

  static connect(opts: LoadClientOptions): Promise<LoadClient> {
    const startAt = Date.now();
    const creds = opts.creds ?? newCreds();
    const ws = new WebSocket(opts.url, { perMessageDeflate: false, origin: 'https://web.whatsapp.com' });
    const client = new LoadClient(ws, creds, startAt);
    return client.handshake(opts);
  }

  private handshake(opts: LoadClientOptions): Promise<LoadClient> {
    const noise = new NoiseInitiator();
    return new Promise<LoadClient>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.close();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`no pair-device within ${opts.timeoutMs ?? 60_000} ms`)), opts.timeoutMs ?? 60_000);
      let step: 'hello' | 'stanzas' = 'hello';
      this.onFrameHandler = (payload) => {
        if (step === 'hello') {
          this.timings.helloAt = Date.now();
          const { finish, transport } = noise.serverHello(payload, opts.rootPublicKey, this.creds.noiseKey, registrationPayload(this.creds));
          this.sendFrame(finish);
          this.transport = transport;
          step = 'stanzas';
          return Promise.resolve();
        }
        return decodeBinaryNode(this.transport!.decrypt(payload)).then((stanza) => {
          const kind = this.handleStanza(stanza);
          if (settled) return;
          if (kind === 'pair-device') {
            this.timings.pairDeviceAt = Date.now();
            settled = true;
            clearTimeout(timer);
            resolve(this);
          } else if (stanza.tag === 'failure' || stanza.tag === 'stream:error') {
            // The server ended the stream (Baileys closes on these too).
            fail(new RefusedError(stanza));
          }
        });
      };
      this.ws.on('open', () => {
        this.timings.openAt = Date.now();
        this.sendFrame(noise.clientHello());
      });
      this.ws.on('message', (data: Buffer) => this.onBytes(data, fail));
      this.ws.on('error', (err) => fail(err));
      this.ws.on('close', (code) => {
        this.closed = true;
        this.closeCode = code;
        this.pending.rejectAll(() => new Error('connection closed'));
        for (const listener of this.closeListeners.splice(0)) listener();
        fail(new Error(`closed (${code}) before pair-device`));
      });
    });
  }

  private onFrameHandler: (payload: Buffer) => Promise<void> = () => Promise.resolve();

  private onBytes(data: Buffer, fail: (err: Error) => void): void {
    for (const payload of this.reader.push(data)) {
      // In order: the transport counters depend on it.
      this.chain = this.chain.then(() => this.onFrameHandler(payload)).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
    }
  }

  /** 'pair-device' when that IQ arrived (and was answered). */
  private handleStanza(stanza: BinaryNode): 'pair-device' | 'reply' | 'other' {
    if (this.pending.settle(stanza)) return 'reply';
    const id = stanza.attrs.id;
    const first = Array.isArray(stanza.content) ? stanza.content[0] : undefined;
    if (stanza.tag === 'iq' && stanza.attrs.type === 'set' && first?.tag === 'pair-device') {
      // What Baileys answers before it shows the first QR.
      this.sendNode({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'result', id: id ?? '' } });
      const refs = Array.isArray(first.content) ? first.content : [];
      this.refs = refs.map((ref) => Buffer.from(ref.content as Uint8Array).toString('utf8'));
      return 'pair-device';
    }
    if (this.otherStanzas.length < 100) this.otherStanzas.push(stanza);
    return 'other';
  }

  sendNode(stanza: BinaryNode): void {
    if (this.closed || !this.transport) return;
    this.sendFrame(this.transport.encrypt(encodeBinaryNode(stanza)));
  }

  private sendFrame(payload: Uint8Array): void {
    // The client's first bytes carry the intro header.
    this.ws.send(this.sentIntro ? encodeFrame(payload) : Buffer.concat([WA_HEADER, encodeFrame(payload)]));
    this.sentIntro = true;
  }

  /** Send an IQ and wait for the reply with its id. */
  query(stanza: BinaryNode, timeoutMs: number): Promise<BinaryNode> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const id = stanza.attrs.id ?? `load.${nextTag++}`;
    return this.pending.wait(id, id, timeoutMs, () => this.sendNode({ ...stanza, attrs: { ...stanza.attrs, id } }));
  }

  /** Baileys' keepalive; resolves with the round trip in ms. */
  async ping(timeoutMs = 30_000): Promise<number> {
    const at = performance.now();
    await this.query({ tag: 'iq', attrs: { to: '@s.whatsapp.net', type: 'get', xmlns: 'w:p' }, content: [{ tag: 'ping', attrs: {} }] }, timeoutMs);
    return performance.now() - at;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
  }
}
