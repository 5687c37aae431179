/**
 * Messages per second, end to end: `perSession` texts from every session to
 * the next session's phone, `inFlight` sends outstanding at once, counted
 * when the recipient phone in the sandbox has decrypted them (its inbox).
 * The same for wagate (POST /messages) and for the in-process peer (its
 * sockets' sendMessage), so the two rates compare.
 */
import type { SandboxProc } from './processes.js';
import { round } from './stats.js';
import type { Figures } from './results.js';

/** Sends one text from session `i` to phone `to` (digits); resolves with the message id, or null if refused. */
export type SendOne = (i: number, to: string, text: string) => Promise<string | null>;

export async function measureSendRate(
  sandbox: SandboxProc,
  sessions: number,
  phoneOfSession: (i: number) => string,
  send: SendOne,
  opts: { perSession: number; inFlight: number; timeoutMs: number },
): Promise<Figures> {
  const jobs: number[] = [];
  for (let round = 0; round < opts.perSession; round++) for (let i = 0; i < sessions; i++) jobs.push(i);
  const sent: Array<{ id: string; phone: string }> = [];
  let refused = 0;
  let next = 0;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const k = next++;
      const i = jobs[k]!;
      const phone = phoneOfSession((i + 1) % sessions);
      const id = await send(i, phone, `rate ${k}`).catch(() => null);
      if (id) sent.push({ id, phone });
      else refused++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.inFlight, jobs.length) }, worker));
  const sentS = (Date.now() - started) / 1000;
  const phones = [...new Set(sent.map((s) => s.phone))];
  const wanted = new Set(sent.map((s) => s.id));
  const deadline = Date.now() + opts.timeoutMs;
  let arrivals: number[] = [];
  for (;;) {
    const inbox = await sandbox.inbox(phones);
    arrivals = inbox.filter((m) => wanted.has(m.id)).map((m) => m.at);
    if (arrivals.length >= wanted.size || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const last = arrivals.length ? Math.max(...arrivals) : started;
  return {
    messages_per_s: round(arrivals.length / Math.max(0.001, (last - started) / 1000), 1),
    sent: sent.length,
    arrived: arrivals.length,
    refused,
    send_s: round(sentS, 2),
  };
}
