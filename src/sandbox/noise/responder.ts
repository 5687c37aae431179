/**
 * Noise XX responder (25519, AES-GCM, SHA-256) in WhatsApp's variant: the
 * protocol name is used directly as h/ck (it is exactly 32 bytes), the
 * prologue is the 4-byte WA intro header the client sent, and one counter is shared by encrypt and
 * decrypt during the handshake. See baileys-wire-map §2.
 */
import { proto } from 'baileys';
import { ephemeralKey, type AgreementKey } from '../crypto/curve.js';
import { WA_HEADER } from '../transport/framing.js';
import { NoiseError, NoiseSymmetricState, TransportCipher } from './symmetricState.js';

export { NoiseError, TransportCipher } from './symmetricState.js';

export interface ClientFinish {
  /** The client's long-term Noise public key (creds.noiseKey.public), 32 bytes. */
  clientStatic: Buffer;
  /** Decrypted ClientPayload bytes. */
  payload: Buffer;
  transport: TransportCipher;
}

/** One handshake, server side. Call serverHello() then clientFinish(). */
export class NoiseResponder {
  private readonly state = new NoiseSymmetricState();

  /**
   * `ephemeral`: a fresh key for this handshake (load mode passes one from Node's key generator);
   * `prologue`: the client's intro header (its dictionary version is part of it).
   */
  constructor(
    private readonly serverStatic: AgreementKey,
    private readonly certChain: Buffer,
    private readonly ephemeral: AgreementKey = ephemeralKey(),
    prologue: Buffer = WA_HEADER,
  ) {
    this.state.mixHash(prologue);
  }

  /** Takes the client's HandshakeMessage (clientHello), returns the encoded serverHello message. */
  serverHello(message: Uint8Array): Buffer {
    let clientEphemeral: Uint8Array | null | undefined;
    try {
      clientEphemeral = proto.HandshakeMessage.decode(message).clientHello?.ephemeral;
    } catch {
      throw new NoiseError('undecodable client hello');
    }
    if (!clientEphemeral || clientEphemeral.length !== 32) throw new NoiseError('client hello without a 32-byte ephemeral key');
    this.clientEphemeral = Buffer.from(clientEphemeral);
    this.state.mixHash(this.clientEphemeral);
    this.state.mixHash(this.ephemeral.public);
    this.state.mixKey(this.ephemeral.agree(this.clientEphemeral));
    const encryptedStatic = this.state.encrypt(this.serverStatic.public);
    this.state.mixKey(this.serverStatic.agree(this.clientEphemeral));
    const encryptedCerts = this.state.encrypt(this.certChain);
    return Buffer.from(
      proto.HandshakeMessage.encode({
        serverHello: { ephemeral: this.ephemeral.public, static: encryptedStatic, payload: encryptedCerts },
      }).finish(),
    );
  }

  private clientEphemeral: Buffer | null = null;

  /** Takes the client's HandshakeMessage (clientFinish); authenticates it and splits into transport keys. */
  clientFinish(message: Uint8Array): ClientFinish {
    if (!this.clientEphemeral) throw new NoiseError('client finish before client hello');
    let finish: proto.HandshakeMessage.IClientFinish | null | undefined;
    try {
      finish = proto.HandshakeMessage.decode(message).clientFinish;
    } catch {
      throw new NoiseError('undecodable client finish');
    }
    if (!finish?.static || !finish.payload) throw new NoiseError('client finish without static key or payload');
    let clientStatic: Buffer;
    let payload: Buffer;
    try {
      clientStatic = this.state.decrypt(finish.static);
      if (clientStatic.length !== 32) throw new NoiseError('client static key is not 32 bytes');
      this.state.mixKey(this.ephemeral.agree(clientStatic));
      payload = this.state.decrypt(finish.payload);
    } catch (err) {
      if (err instanceof NoiseError) throw err;
      throw new NoiseError('client finish failed authentication');
    }
    const [clientToServer, serverToClient] = this.state.split();
    return { clientStatic, payload, transport: new TransportCipher(serverToClient, clientToServer) };
  }
}
