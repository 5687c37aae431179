/**
 * Dispatches incoming stanzas. IQs go to a handler chosen by
 * `xmlns` + first child tag (or `xmlns` alone); an IQ nobody handles gets an
 * empty result, because an unanswered IQ stalls the client for its query
 * timeout. Other stanzas (ib, presence, ack, receipt, message…) go to
 * per-tag handlers or are dropped.
 */
import type { Logger } from 'pino';
import { firstChild, iqError, iqResult, type BinaryNode } from '../binary/nodes.js';
import type { SandboxConnection } from '../stream/connection.js';

/** Thrown by an IQ handler to answer `<iq type="error"><error code text/></iq>`. */
export class IqFailure extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`${code} ${text}`);
  }
}

/** A handler that sends its own reply (or deliberately none) returns this. */
export const REPLIED = Symbol('replied');

/** Children of the result, nothing (empty result), or REPLIED. */
export type IqOutcome = BinaryNode[] | void | typeof REPLIED;
export type IqHandler = (iq: BinaryNode, conn: SandboxConnection) => IqOutcome | Promise<IqOutcome>;
export type StanzaHandler = (stanza: BinaryNode, conn: SandboxConnection) => void | Promise<void>;

export class StanzaRouter {
  private readonly iqHandlers = new Map<string, IqHandler>();
  private readonly stanzaHandlers = new Map<string, StanzaHandler>();

  constructor(private readonly logger: Logger) {}

  /** Handle IQs with this xmlns (and, when given, this first child tag). */
  iq(xmlns: string, childTag: string | null, handler: IqHandler): this {
    this.iqHandlers.set(childTag ? `${xmlns} ${childTag}` : xmlns, handler);
    return this;
  }

  stanza(tag: string, handler: StanzaHandler): this {
    this.stanzaHandlers.set(tag, handler);
    return this;
  }

  async dispatch(stanza: BinaryNode, conn: SandboxConnection): Promise<void> {
    if (stanza.tag !== 'iq') {
      const handler = this.stanzaHandlers.get(stanza.tag);
      if (handler) await handler(stanza, conn);
      return;
    }
    const type = stanza.attrs.type;
    if (type !== 'get' && type !== 'set') return; // stray result/error: nothing waits for it
    const xmlns = stanza.attrs.xmlns ?? '';
    const childTag = firstChild(stanza)?.tag;
    const handler = (childTag && this.iqHandlers.get(`${xmlns} ${childTag}`)) || this.iqHandlers.get(xmlns);
    conn.logger.trace({ xmlns, child: childTag, type }, 'iq');
    if (!handler) {
      conn.logger.debug({ xmlns, child: childTag }, 'unhandled iq, empty result');
      conn.send(iqResult(stanza));
      return;
    }
    try {
      const outcome = await handler(stanza, conn);
      if (outcome === REPLIED) return;
      conn.send(iqResult(stanza, outcome && outcome.length ? outcome : undefined));
    } catch (err) {
      if (err instanceof IqFailure) {
        conn.send(iqError(stanza, err.code, err.text));
        return;
      }
      this.logger.warn({ conn: conn.id, xmlns, child: childTag, err: (err as Error).message }, 'iq handler failed');
      conn.send(iqError(stanza, 500, 'internal-server-error'));
    }
  }
}
