/**
 * LISTEN on a dedicated PostgreSQL connection (not the pool: a pooled
 * connection returns to others between queries, and a transaction-mode
 * pooler cannot hold a LISTEN at all; point DATABASE_LISTEN_URL past it).
 * A lost connection is retried every second; `onReconnect` tells the caller
 * it may have missed notifications meanwhile.
 */
import pg from 'pg';
import type { Logger } from 'pino';

export interface Listening {
  close(): Promise<void>;
}

export async function listen(
  url: string,
  channels: string[],
  onNotify: (channel: string, payload: string) => void,
  onReconnect: () => void,
  logger?: Logger,
): Promise<Listening> {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  const open = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (msg) => {
      try {
        onNotify(msg.channel, msg.payload ?? '');
      } catch (err) {
        logger?.warn({ err }, 'a cluster notification handler failed');
      }
    });
    next.on('error', (err) => {
      logger?.warn({ err: err.message }, 'cluster listen connection failed; reconnecting');
      schedule();
    });
    next.on('end', () => schedule());
    await next.connect();
    for (const channel of channels) await next.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
    client = next;
  };

  const schedule = (): void => {
    if (closed || retry) return;
    const old = client;
    client = null;
    void old?.end().catch(() => undefined);
    retry = setTimeout(() => {
      retry = null;
      open().then(onReconnect, (err: unknown) => {
        logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not reopen the cluster listen connection');
        schedule();
      });
    }, 1_000);
  };

  await open();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
