/**
 * The page's one EventSource on /dashboard/api/events, fanned out to the
 * components that care (the session list, the QR panel, the event log).
 * EventSource reconnects by itself and resumes with Last-Event-ID.
 */
import type { GatewayEvent } from './api.js';

export type LiveListener = (event: GatewayEvent) => void;

export class LiveEvents {
  private readonly listeners = new Set<LiveListener>();
  private source: EventSource | undefined;

  start(handlers: { onOpen: () => void; onError: () => void }): void {
    this.stop();
    const source = new EventSource('/dashboard/api/events');
    source.onopen = handlers.onOpen;
    source.onerror = handlers.onError;
    source.onmessage = (message: MessageEvent<string>) => {
      let event: GatewayEvent;
      try {
        event = JSON.parse(message.data) as GatewayEvent;
      } catch {
        return;
      }
      for (const listener of this.listeners) listener(event);
    };
    this.source = source;
  }

  stop(): void {
    this.source?.close();
    this.source = undefined;
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
