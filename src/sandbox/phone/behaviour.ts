/**
 * What the simulated phones do beyond the protocol itself, set by the
 * developer: play a failed decryption (answer with a retry receipt), the
 * typing notices they saw, and what a phone pushes to a device it just
 * linked. In memory; a restart resets it.
 */
import type { AccountContentOptions, SandboxChatState } from '../types.js';

/** Typing notices a phone keeps (newest last). */
const CHAT_STATE_LIMIT = 50;

export class PhoneBehaviour {
  private readonly failures = new Map<string, number>();
  private readonly retried = new Map<string, Set<string>>();
  private readonly chatStates = new Map<string, SandboxChatState[]>();

  constructor(readonly accountContent: AccountContentOptions | null) {}

  /** The phone's next `count` incoming pairwise messages fail to decrypt (it asks the sender for them again). */
  failNextDecrypts(phoneNumber: string, count: number): void {
    if (count <= 0) this.failures.delete(phoneNumber);
    else this.failures.set(phoneNumber, count);
  }

  /** Whether this message is one to fail; counts it down. */
  takeFailure(phoneNumber: string): boolean {
    const left = this.failures.get(phoneNumber) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.failures.delete(phoneNumber);
    else this.failures.set(phoneNumber, left - 1);
    return true;
  }

  noteRetry(phoneNumber: string, id: string): void {
    const ids = this.retried.get(phoneNumber) ?? new Set<string>();
    ids.add(id);
    if (ids.size > 100) ids.delete(ids.values().next().value!);
    this.retried.set(phoneNumber, ids);
  }

  /** True (once) when the phone had asked for this message again. */
  takeRetry(phoneNumber: string, id: string): boolean {
    return this.retried.get(phoneNumber)?.delete(id) ?? false;
  }

  sawChatState(phoneNumber: string, state: SandboxChatState): void {
    const list = this.chatStates.get(phoneNumber) ?? [];
    list.push(state);
    if (list.length > CHAT_STATE_LIMIT) list.splice(0, list.length - CHAT_STATE_LIMIT);
    this.chatStates.set(phoneNumber, list);
  }

  chatStatesSeen(phoneNumber: string): SandboxChatState[] {
    return (this.chatStates.get(phoneNumber) ?? []).map((s) => ({ ...s }));
  }
}
