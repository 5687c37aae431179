/**
 * Signal ciphers: libsignal's JavaScript (what Baileys 7.0.0-rc14 uses) against
 * the WASM ciphers of whatsapp-rust-bridge 0.5.4 (a Baileys dependency), the
 * lever issue 14 asks to measure (bench/README.md, "Signal ciphers").
 *
 *   npx tsx bench/micro/signalCiphers.mjs [--n 2000] [--pkmsg 300] [--rounds 3]
 *       [--size 128] [--group-fresh 100] [--group-age 2000] [--stock-curve]
 *       [--stock-group-signatures] [--stock-group-iterations] [--save | --out DIR]
 *
 * Per operation, one implementation on both ends (a gateway that switched):
 *  - encrypt_msg / decrypt_msg: 1:1 on an established session (WhisperMessage);
 *  - encrypt_pkmsg: session from a pre-key bundle + first encrypt (PreKeyWhisperMessage);
 *  - decrypt_pkmsg: a first message from a new sender (session set up, one-time pre-key used);
 *  - group_encrypt / group_decrypt: sender keys, fresh (first --group-fresh
 *    messages) and aged (after --group-age more; see round()).
 * Each operation goes through a key store shaped like Baileys' SignalKeyStore
 * (libsignal.js's signalStorage: the JS side deserialises the stored record on
 * every load and serialises it on every store, as Baileys does; sender keys are
 * JSON in a Buffer), a fresh cipher per operation as Baileys makes them. The JS
 * side runs with the WASM curve installed (src/engine/baileys/fastCurve.ts, as
 * the gateway runs) unless --stock-curve; --stock-group-signatures keeps the
 * group cipher's own stock copy of the curve (as before fastSenderKeySignatures.ts);
 * --stock-group-iterations keeps Baileys' GroupCipher.encrypt, which skips an
 * iteration per message (as before groupSendIterations.ts). Reported: ops/s and µs/op of wall
 * time, CPU µs/op, the median of --rounds alternating rounds, load average.
 *
 * Then the checks that decide whether the lever may be wired: wire interop
 * (encrypt with one, decrypt with the other, byte-equal plaintexts) and state
 * format (a record written by one, used by the other).
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import * as W from 'whatsapp-rust-bridge';
import { GroupCipher, GroupSessionBuilder, SenderKeyDistributionMessage } from 'baileys/lib/Signal/Group/index.js';
import { SenderKeyMessage } from 'baileys/lib/Signal/Group/sender-key-message.js';
import { SenderKeyName } from 'baileys/lib/Signal/Group/sender-key-name.js';
import { SenderKeyRecord } from 'baileys/lib/Signal/Group/sender-key-record.js';
import { installFastCurve } from '../../src/engine/baileys/fastCurve.ts';
import { sendGroupIterationsConsecutively } from '../../src/engine/baileys/groupSendIterations.ts';
import { commit, machine, printTable, writeResult } from '../lib/results.ts';

const requireFromBaileys = createRequire(import.meta.resolve('baileys'));
const libsignal = requireFromBaileys('libsignal');
const { WhisperMessage } = requireFromBaileys('libsignal/src/protobufs.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}
const N = Number(arg('n', 2000));
const PK = Number(arg('pkmsg', 300));
const ROUNDS = Number(arg('rounds', 3));
const SIZE = Number(arg('size', 128));
const FRESH = Number(arg('group-fresh', 100));
const AGE = Number(arg('group-age', 2000));
const STOCK_CURVE = arg('stock-curve', false) === true;
const STOCK_GROUP_SIGNATURES = arg('stock-group-signatures', false) === true;
const STOCK_GROUP_ITERATIONS = arg('stock-group-iterations', false) === true;
const ROOT = path.resolve(import.meta.dirname, '../..');
const outDir = arg('out', null) ?? (arg('save', false) === true ? path.join(ROOT, 'bench/results') : path.join(ROOT, 'bench/results/local'));

// ---------------------------------------------------------------- parties

/**
 * One account: its keys, and one key map read through two storages, one per
 * implementation, so a record written by one can be offered to the other.
 * Values are held as each implementation hands them to Baileys' `keys.set`.
 */
function party(name) {
  const identity = W.generateIdentityKeyPair();
  const registrationId = W.generateRegistrationId();
  const signed = W.generateSignedPreKey(identity, 1);
  const sessions = new Map();
  const senderKeys = new Map();
  const preKeys = new Map();
  let nextPreKey = 1;
  const buf = (b) => Buffer.from(b);
  const js = {
    // Baileys' signalStorage (lib/Signal/libsignal.js), minus the LID lookup.
    loadSession: async (id) => {
      const stored = sessions.get(id);
      return stored ? libsignal.SessionRecord.deserialize(stored) : null;
    },
    storeSession: async (id, record) => void sessions.set(id, record.serialize()),
    isTrustedIdentity: () => true,
    loadPreKey: async (id) => {
      const k = preKeys.get(Number(id));
      return k ? { privKey: buf(k.privKey), pubKey: buf(k.pubKey) } : undefined;
    },
    removePreKey: async (id) => void preKeys.delete(Number(id)),
    loadSignedPreKey: () => ({ privKey: buf(signed.keyPair.privKey), pubKey: buf(signed.keyPair.pubKey) }),
    loadSenderKey: async (senderKeyName) => {
      const stored = senderKeys.get(senderKeyName.toString());
      return stored ? SenderKeyRecord.deserialize(stored) : new SenderKeyRecord();
    },
    storeSenderKey: async (senderKeyName, record) =>
      void senderKeys.set(senderKeyName.toString(), Buffer.from(JSON.stringify(record.serialize()), 'utf-8')),
    getOurRegistrationId: () => registrationId,
    getOurIdentity: () => ({ privKey: buf(identity.privKey), pubKey: buf(identity.pubKey) }),
  };
  const wasm = {
    // whatsapp-rust-bridge's SignalStorage: records as bytes.
    loadSession: (id) => sessions.get(id) ?? null,
    storeSession: (id, record) => void sessions.set(id, record.serialize()),
    // 0.5.4 calls this instead of storeSession when present (no wrapper object).
    storeSessionRaw: (id, bytes) => void sessions.set(id, bytes),
    getOurIdentity: () => identity,
    getOurRegistrationId: () => registrationId,
    isTrustedIdentity: () => true,
    loadPreKey: (id) => preKeys.get(id) ?? null,
    removePreKey: (id) => void preKeys.delete(id),
    loadSignedPreKey: () => signed,
    loadSenderKey: (id) => senderKeys.get(id) ?? null,
    storeSenderKey: (id, record) => void senderKeys.set(id, record),
  };
  /** A pre-key bundle as the server hands it out (one fresh one-time pre-key). */
  function bundle() {
    const id = nextPreKey++;
    const pk = W.generatePreKey(id);
    preKeys.set(id, pk.keyPair);
    return {
      registrationId,
      identityKey: buf(identity.pubKey),
      preKey: { keyId: id, publicKey: buf(pk.keyPair.pubKey) },
      signedPreKey: { keyId: 1, publicKey: buf(signed.keyPair.pubKey), signature: buf(signed.signature) },
    };
  }
  return { name, js, wasm, sessions, senderKeys, preKeys, bundle };
}

// ---------------------------------------------------------------- the two implementations

const jsAddr = (name) => new libsignal.ProtocolAddress(name, 0);
const jsSender = (group, name) => new SenderKeyName(group, jsAddr(name));

/** libsignal JS + Baileys' group cipher, called the way Baileys' repository calls them. */
const JS = {
  label: 'js',
  initOutgoing: (p, to, bundle) => new libsignal.SessionBuilder(p.js, jsAddr(to)).initOutgoing(bundle),
  async encrypt(p, to, data) {
    const { type, body } = await new libsignal.SessionCipher(p.js, jsAddr(to)).encrypt(data);
    return { pkmsg: type === 3, body: Buffer.from(body, 'binary') };
  },
  async decrypt(p, from, m) {
    const c = new libsignal.SessionCipher(p.js, jsAddr(from));
    const body = Buffer.from(m.body); // libsignal insists on Buffers, as Baileys passes them
    return m.pkmsg ? c.decryptPreKeyWhisperMessage(body) : c.decryptWhisperMessage(body);
  },
  groupCreate: async (p, group) => (await new GroupSessionBuilder(p.js).create(jsSender(group, p.name))).serialize(),
  groupProcess: (p, group, sender, skdm) =>
    new GroupSessionBuilder(p.js).process(jsSender(group, sender), new SenderKeyDistributionMessage(null, null, null, null, Buffer.from(skdm))),
  groupEncrypt: (p, group, data) => new GroupCipher(p.js, jsSender(group, p.name)).encrypt(data),
  groupDecrypt: (p, group, sender, ct) => new GroupCipher(p.js, jsSender(group, sender)).decrypt(Buffer.from(ct)),
};

/** Runs `fn` with WASM objects that are freed afterwards (an adapter would do the same). */
async function using(objects, fn) {
  try {
    return await fn(...objects);
  } finally {
    for (const o of objects) o.free();
  }
}

const wAddr = (name) => new W.ProtocolAddress(name, 0);

/** whatsapp-rust-bridge's WASM ciphers. */
const WASM = {
  label: 'wasm',
  initOutgoing: (p, to, bundle) =>
    using([wAddr(to)], (a) => using([new W.SessionBuilder(p.wasm, a)], (b) => b.processPreKeyBundle(bundle))),
  encrypt: (p, to, data) =>
    using([wAddr(to)], (a) =>
      using([new W.SessionCipher(p.wasm, a)], async (c) => {
        const { type, body } = await c.encrypt(data);
        return { pkmsg: type === 3, body };
      }),
    ),
  decrypt: (p, from, m) =>
    using([wAddr(from)], (a) =>
      using([new W.SessionCipher(p.wasm, a)], (c) => (m.pkmsg ? c.decryptPreKeyWhisperMessage(m.body) : c.decryptWhisperMessage(m.body))),
    ),
  groupCreate: (p, group) =>
    using([wAddr(p.name)], (a) =>
      using([new W.SenderKeyName(group, a), new W.GroupSessionBuilder(p.wasm)], async (n, b) => {
        const skdm = await b.create(n);
        const bytes = skdm.serialize();
        skdm.free();
        return bytes;
      }),
    ),
  groupProcess: (p, group, sender, skdm) =>
    using([wAddr(sender)], (a) =>
      using([new W.SenderKeyName(group, a), new W.GroupSessionBuilder(p.wasm), W.SenderKeyDistributionMessage.deserialize(skdm)], (n, b, m) =>
        b.process(n, m),
      ),
    ),
  groupEncrypt: (p, group, data) => using([wAddr(p.name)], (a) => using([new W.GroupCipher(p.wasm, group, a)], (c) => c.encrypt(data))),
  groupDecrypt: (p, group, sender, ct) => using([wAddr(sender)], (a) => using([new W.GroupCipher(p.wasm, group, a)], (c) => c.decrypt(ct))),
};

// ---------------------------------------------------------------- timing

async function timed(n, fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { usPerOp: (wallMs * 1000) / n, cpuUsPerOp: (cpu.user + cpu.system) / n };
}

const plaintexts = (n) => Array.from({ length: n }, () => randomBytes(SIZE));

/** Two parties with an established session (each has sent and received). */
async function established(impl, a, b) {
  await impl.initOutgoing(a, b.name, b.bundle());
  await impl.decrypt(b, a.name, await impl.encrypt(a, b.name, Buffer.from('hello')));
  await impl.decrypt(a, b.name, await impl.encrypt(b, a.name, Buffer.from('hello back')));
}

/** One round of every operation for `impl`; returns µs per op (wall, CPU). */
async function round(impl) {
  const out = {};
  const a = party('alice');
  const b = party('bob');
  await established(impl, a, b);
  const msgs = plaintexts(N);
  const sent = [];
  out.encrypt_msg = await timed(N, async (i) => void sent.push(await impl.encrypt(a, b.name, msgs[i])));
  if (sent.some((m) => m.pkmsg)) throw new Error(`${impl.label}: established session still sends pkmsg`);
  out.decrypt_msg = await timed(N, (i) => impl.decrypt(b, a.name, sent[i]));

  // pkmsg: PK new senders to one receiver, each with its own bundle.
  const receiver = party('carol');
  const senders = Array.from({ length: PK }, (_, i) => party(`s${i}`));
  const bundles = senders.map(() => receiver.bundle());
  const first = [];
  out.encrypt_pkmsg = await timed(PK, async (i) => {
    await impl.initOutgoing(senders[i], receiver.name, bundles[i]);
    first.push(await impl.encrypt(senders[i], receiver.name, msgs[i]));
  });
  if (!first.every((m) => m.pkmsg)) throw new Error(`${impl.label}: first message is not a pkmsg`);
  out.decrypt_pkmsg = await timed(PK, (i) => impl.decrypt(receiver, senders[i].name, first[i]));

  // group: one sender, one receiver holding its sender key. Measured fresh
  // (the first FRESH messages of a new sender key) and aged (after AGE more):
  // Stock Baileys' GroupCipher.encrypt skips one iteration per message after
  // the first (--stock-group-iterations; the gateway patches it,
  // groupSendIterations.ts), so both ends keep an unused message key per
  // message, up to SenderKeyState's cap of 2000, and the JS side
  // (de)serialises them all as JSON on every message.
  const group = '120363000000000000@g.us';
  await impl.groupProcess(b, group, a.name, await impl.groupCreate(a, group));
  const groupPhase = async (name, n) => {
    const gsent = [];
    out[`group_encrypt_${name}`] = await timed(n, async (i) => void gsent.push(await impl.groupEncrypt(a, group, msgs[i % N])));
    out[`group_decrypt_${name}`] = await timed(n, (i) => impl.groupDecrypt(b, group, a.name, gsent[i]));
  };
  await groupPhase('fresh', FRESH);
  for (let i = 0; i < AGE; i++) await impl.groupDecrypt(b, group, a.name, await impl.groupEncrypt(a, group, msgs[i % N]));
  await groupPhase('aged', N);
  const stored = b.senderKeys.values().next().value;
  // Stored bytes of the receiver's sender key for this sender (JS: JSON; WASM: protobuf).
  out.group_record_receiver_bytes = stored?.length ?? 0;
  return out;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// ---------------------------------------------------------------- checks

const same = (x, y) => Buffer.from(x).equals(Buffer.from(y));

/** Runs a check with libsignal's console chatter muted; 'ok' or 'FAIL: why'. */
async function check(fn) {
  const saved = { log: console.log, warn: console.warn, error: console.error, info: console.info };
  console.log = console.warn = console.error = console.info = () => {};
  try {
    const detail = await fn();
    return detail ? `ok (${detail})` : 'ok';
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `FAIL: ${why.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 140)}`;
  } finally {
    Object.assign(console, saved);
  }
}

async function roundTrip(from, fromImpl, to, toImpl, text) {
  const data = Buffer.from(text);
  const m = await fromImpl.encrypt(from, to.name, data);
  const got = await toImpl.decrypt(to, from.name, m);
  if (!same(got, data)) throw new Error(`${text}: plaintext differs`);
  return m;
}

/** Wire interop, 1:1: X starts a session with Y's bundle, both talk. */
async function wire1to1(X, Y) {
  const a = party('alice');
  const b = party('bob');
  await X.initOutgoing(a, b.name, b.bundle());
  const m1 = await roundTrip(a, X, b, Y, 'pkmsg');
  if (!m1.pkmsg) throw new Error('first message was not a pkmsg');
  await roundTrip(b, Y, a, X, 'reply');
  for (let i = 0; i < 3; i++) await roundTrip(a, X, b, Y, `msg ${i}`);
  await roundTrip(b, Y, a, X, 'reply 2');
}

/** Wire interop, group: X sends with its sender key, Y receives. */
async function wireGroup(X, Y) {
  const a = party('alice');
  const b = party('bob');
  const group = '120363000000000001@g.us';
  await Y.groupProcess(b, group, a.name, await X.groupCreate(a, group));
  for (let i = 0; i < 5; i++) {
    const data = Buffer.from(`group ${i}`);
    if (!same(await Y.groupDecrypt(b, group, a.name, await X.groupEncrypt(a, group, data)), data)) throw new Error('plaintext differs');
  }
}

/** The counter of a WhisperMessage (version byte, protobuf, 8-byte MAC). */
const counterOf = (m) => WhisperMessage.decode(Buffer.from(m.body).subarray(1, -8)).counter;

/**
 * State written by X, then used by Y on one side (`side`): a stored session
 * that has carried `k` messages after the first ratchet, as an existing
 * user's sessions have.
 */
async function stateSession(X, Y, side, k) {
  const a = party('alice');
  const b = party('bob');
  await established(X, a, b);
  let lastCounter = -1;
  for (let i = 0; i < k; i++) lastCounter = counterOf(await roundTrip(a, X, b, X, `before ${i}`));
  const A = side === 'sender' ? Y : X;
  const B = side === 'receiver' ? Y : X;
  const m = await A.encrypt(a, b.name, Buffer.from('after'));
  const counter = m.pkmsg ? null : counterOf(m);
  if (counter !== null && counter <= lastCounter) {
    throw new Error(`the switched sender re-used message counter ${counter} (last sent ${lastCounter}): same message key twice`);
  }
  const got = await B.decrypt(b, a.name, m);
  if (!same(got, Buffer.from('after'))) throw new Error('plaintext differs');
  await roundTrip(b, B, a, A, 'reply');
  await roundTrip(a, A, b, B, 'again');
  return `record ${side} stored as ${kindOf((side === 'sender' ? a : b).sessions.values().next().value)}`;
}

/** Sender-key state written by X, then used by Y (`side`: the group sender or a receiver). */
async function stateSenderKey(X, Y, side, k) {
  const a = party('alice');
  const b = party('bob');
  const group = '120363000000000002@g.us';
  await X.groupProcess(b, group, a.name, await X.groupCreate(a, group));
  for (let i = 0; i < k; i++) await X.groupDecrypt(b, group, a.name, await X.groupEncrypt(a, group, Buffer.from(`before ${i}`)));
  const A = side === 'sender' ? Y : X;
  const B = side === 'receiver' ? Y : X;
  for (let i = 0; i < 2; i++) {
    const data = Buffer.from(`after ${i}`);
    if (!same(await B.groupDecrypt(b, group, a.name, await A.groupEncrypt(a, group, data)), data)) throw new Error('plaintext differs');
  }
  return `stored as ${kindOf((side === 'sender' ? a : b).senderKeys.values().next().value)}`;
}

function kindOf(v) {
  if (v instanceof Uint8Array) {
    const head = Buffer.from(v).subarray(0, 1).toString('latin1');
    return head === '[' || head === '{' ? 'JSON bytes' : 'protobuf bytes';
  }
  return v && typeof v === 'object' && '_sessions' in v ? 'libsignal JSON object' : typeof v;
}

async function checks() {
  const c = {};
  c.wire_1to1_js_starts_wasm_answers = await check(() => wire1to1(JS, WASM));
  c.wire_1to1_wasm_starts_js_answers = await check(() => wire1to1(WASM, JS));
  c.wire_group_js_to_wasm = await check(() => wireGroup(JS, WASM));
  c.wire_group_wasm_to_js = await check(() => wireGroup(WASM, JS));
  for (const k of [0, 3]) {
    for (const side of ['sender', 'receiver']) {
      c[`state_session_js_to_wasm_${side}_after_${k}`] = await check(() => stateSession(JS, WASM, side, k));
      c[`state_session_wasm_to_js_${side}_after_${k}`] = await check(() => stateSession(WASM, JS, side, k));
    }
  }
  for (const side of ['sender', 'receiver']) {
    c[`state_sender_key_js_to_wasm_${side}`] = await check(() => stateSenderKey(JS, WASM, side, 3));
    c[`state_sender_key_wasm_to_js_${side}`] = await check(() => stateSenderKey(WASM, JS, side, 3));
  }
  return c;
}

// ---------------------------------------------------------------- main

const loadStart = os.loadavg();
const startedAt = new Date().toISOString();
const stockGroupSignatures = {
  getSignature: SenderKeyMessage.prototype.getSignature,
  verifySignature: SenderKeyMessage.prototype.verifySignature,
};
const stockGroupEncrypt = GroupCipher.prototype.encrypt;
const curve = STOCK_CURVE ? { installed: false, reason: '--stock-curve' } : installFastCurve(pino({ level: 'silent' }));
const groupIterations = STOCK_CURVE ? 'not installed' : ((await sendGroupIterationsConsecutively()) ?? 'consecutive');
if (STOCK_GROUP_ITERATIONS) GroupCipher.prototype.encrypt = stockGroupEncrypt;
// As before the group-signature routing: Baileys' group cipher on the stock pure-JS curve.
if (STOCK_GROUP_SIGNATURES) Object.assign(SenderKeyMessage.prototype, stockGroupSignatures);

// Warm-up (JIT, WASM tiering), not measured.
for (const impl of [JS, WASM]) {
  const a = party('wa');
  const b = party('wb');
  await established(impl, a, b);
  for (let i = 0; i < 200; i++) await impl.decrypt(b, a.name, await impl.encrypt(a, b.name, randomBytes(SIZE)));
}

const samples = { js: [], wasm: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const impl of r % 2 === 0 ? [JS, WASM] : [WASM, JS]) samples[impl.label].push(await round(impl));
}

const OPS = ['encrypt_msg', 'decrypt_msg', 'encrypt_pkmsg', 'decrypt_pkmsg', 'group_encrypt_fresh', 'group_decrypt_fresh', 'group_encrypt_aged', 'group_decrypt_aged'];
const figures = {};
const runs = [];
for (const label of ['js', 'wasm']) {
  const f = {};
  for (const op of OPS) {
    const us = median(samples[label].map((s) => s[op].usPerOp));
    const cpu = median(samples[label].map((s) => s[op].cpuUsPerOp));
    f[`${op}_ops_per_s`] = Math.round(1e6 / us);
    f[`${op}_us`] = Math.round(us * 10) / 10;
    f[`${op}_cpu_us`] = Math.round(cpu * 10) / 10;
  }
  f.group_record_receiver_bytes = median(samples[label].map((s) => s.group_record_receiver_bytes));
  runs.push({ label, figures: f });
}
for (const op of OPS) {
  // CPU per op: wall time on this shared machine mostly measures the others' load.
  const js = runs[0].figures[`${op}_cpu_us`];
  const wasm = runs[1].figures[`${op}_cpu_us`];
  figures[`${op}_wasm_speedup`] = Math.round((js / wasm) * 100) / 100;
}
const checkResults = await checks();
runs.push({ label: 'checks', figures: checkResults });

const result = {
  scenario: 'signal-ciphers',
  sessions: 0,
  commit: commit(),
  startedAt,
  machine: machine(loadStart),
  options: {
    n: N,
    pkmsg: PK,
    groupFresh: FRESH,
    groupAge: AGE,
    rounds: ROUNDS,
    size: SIZE,
    jsCurve: curve.installed ? 'wasm (fast curve)' : 'stock pure-JS',
    jsGroupSignatures: curve.installed && !STOCK_GROUP_SIGNATURES ? 'wasm (fast curve)' : 'stock pure-JS',
    jsGroupIterations: STOCK_GROUP_ITERATIONS ? 'stock (skips one per message)' : groupIterations,
    wasmSimd: W.__wasmSimdActive,
  },
  figures,
  runs,
  notes: [
    'µs/op = wall time per operation (median of rounds); cpu_us = process CPU per operation',
    'speedup = js CPU µs / wasm CPU µs',
  ],
};
printTable(result);
process.stdout.write(`written: ${writeResult(result, outDir)}\n`);
