/**
 * Messages from sandbox phones to the bench's linked accounts: alternately a
 * 1:1 text from a contact of the account (the sandbox's shared contact pool)
 * and a text to one of the account's groups from another member. Senders
 * rotate, so over time every session holds Signal sessions and sender keys
 * for many peers, as a real account does.
 *
 * `burst` sends a fixed number per session as fast as `inFlight` allows (to
 * give sessions their keys before a restore); `steady` sends at a rate per
 * session per minute for a duration, spread evenly in time.
 */
import { contactNumber } from '../../src/sandbox/phone/bootstrap.js';
import { phoneOf } from './pairing.js';
import type { SandboxProc } from './processes.js';

export interface TrickleCounts {
  sent: number;
  oneToOne: number;
  group: number;
  failed: number;
  /** Steady mode: sends skipped because `inFlight` were still outstanding (the sandbox fell behind). */
  behind: number;
}

export class Trickle {
  private readonly groups = new Map<number, Array<{ id: string; members: string[] }>>();
  private readonly nextOf = new Map<number, number>();
  private errorsShown = 0;

  constructor(
    private readonly sandbox: SandboxProc,
    /** Sessions 0..sessions-1, linked to phoneOf(i). */
    private readonly sessions: number,
    /** Size of the sandbox's contact pool (accountContent.contacts). */
    private readonly contacts: number,
    private readonly inFlight = 32,
  ) {}

  /** Learns each account's groups (made by the sandbox when it linked). */
  async prepare(): Promise<void> {
    for (let i = 0; i < this.sessions; i++) {
      const own = phoneOf(i);
      const groups = await this.sandbox.groupsOf(own);
      this.groups.set(
        i,
        groups.map((g) => ({ id: g.id, members: g.participants.filter((p) => p !== own) })).filter((g) => g.members.length > 0),
      );
    }
  }

  /** `perSession` messages to every session, `inFlight` at a time. */
  async burst(perSession: number): Promise<TrickleCounts> {
    const counts = emptyCounts();
    const jobs: number[] = [];
    for (let round = 0; round < perSession; round++) for (let i = 0; i < this.sessions; i++) jobs.push(i);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) await this.sendOne(jobs[next++]!, counts);
    };
    await Promise.all(Array.from({ length: Math.min(this.inFlight, jobs.length) }, worker));
    return counts;
  }

  /** `perMinute` messages per session per minute for `durationMs`, evenly spread. */
  async steady(perMinute: number, durationMs: number): Promise<TrickleCounts> {
    const counts = emptyCounts();
    const total = Math.floor((this.sessions * perMinute * durationMs) / 60_000);
    if (total === 0) {
      await sleep(durationMs);
      return counts;
    }
    const gapMs = durationMs / total;
    const started = Date.now();
    const pending = new Set<Promise<void>>();
    for (let k = 0; k < total; k++) {
      const wait = started + k * gapMs - Date.now();
      if (wait > 0) await sleep(wait);
      if (pending.size >= this.inFlight) {
        counts.behind++;
        continue;
      }
      const p = this.sendOne(k % this.sessions, counts).finally(() => pending.delete(p));
      pending.add(p);
    }
    const rest = started + durationMs - Date.now();
    if (rest > 0) await sleep(rest);
    await Promise.all(pending);
    return counts;
  }

  private async sendOne(i: number, counts: TrickleCounts): Promise<void> {
    const n = this.nextOf.get(i) ?? 0;
    this.nextOf.set(i, n + 1);
    const groups = this.groups.get(i) ?? [];
    const toGroup = n % 2 === 1 && groups.length > 0;
    try {
      if (toGroup) {
        const group = groups[Math.floor(n / 2) % groups.length]!;
        const from = group.members[(i + n) % group.members.length]!;
        await this.sandbox.sendText(from, group.id, `group ${n} to ${i}`);
        counts.group++;
      } else {
        // A different contact each time, and different ones for neighbouring sessions.
        const from = contactNumber((i * 13 + Math.floor(n / 2)) % Math.max(1, this.contacts));
        await this.sandbox.sendText(from, phoneOf(i), `hello ${n} to ${i}`);
        counts.oneToOne++;
      }
      counts.sent++;
    } catch (err) {
      counts.failed++;
      if (this.errorsShown++ < 5) process.stderr.write(`trickle: send to session ${i} failed: ${(err as Error).message}\n`);
    }
  }
}

function emptyCounts(): TrickleCounts {
  return { sent: 0, oneToOne: 0, group: 0, failed: 0, behind: 0 };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
