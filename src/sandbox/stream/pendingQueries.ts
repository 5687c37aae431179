/**
 * IQs one side sent and waits on: each waits for the reply carrying its id
 * (type result or error), at most `timeoutMs`; all fail when the line closes.
 * The sandbox's connections and the bench's light client both use it.
 */
import type { BinaryNode } from '../binary/nodes.js';

interface Waiting {
  resolve(node: BinaryNode): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class PendingQueries {
  private readonly waiting = new Map<string, Waiting>();

  /** Resolves with the reply to `id`; `send` is called once the wait is registered. */
  wait(id: string, what: string, timeoutMs: number, send: () => void): Promise<BinaryNode> {
    return new Promise<BinaryNode>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no reply to ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      send();
    });
  }

  /** Hands `stanza` to its waiter when it is the reply to one; true when it was. */
  settle(stanza: BinaryNode): boolean {
    const id = stanza.attrs.id;
    if (stanza.tag !== 'iq' || !id || (stanza.attrs.type !== 'result' && stanza.attrs.type !== 'error')) return false;
    const waiting = this.waiting.get(id);
    if (!waiting) return false;
    this.waiting.delete(id);
    clearTimeout(waiting.timer);
    waiting.resolve(stanza);
    return true;
  }

  /** Fails every wait (the line closed). */
  rejectAll(err: () => Error): void {
    for (const waiting of this.waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(err());
    }
    this.waiting.clear();
  }
}
