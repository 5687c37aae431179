/**
 * Group commit: items submitted in the same turn of the event loop are
 * written together (one store transaction for many events, or many delivery
 * updates), in submission order, one group at a time. When a group fails,
 * its items are retried one by one, so one bad item fails only itself.
 *
 * In src/shared: it depends on nothing, and both the core (events,
 * deliveries) and the store (credential writes) group their writes with it.
 */
export class GroupCommitter<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  private running = false;
  private scheduled = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: (() => void) | null = null;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxGroup = 1000,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or being written. */
  flush(): Promise<void> {
    return this.running || this.scheduled ? this.idle : Promise.resolve();
  }

  /** Items waiting or being written. */
  get size(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    if (!this.markIdle) this.idle = new Promise<void>((resolve) => (this.markIdle = resolve));
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run().catch(() => undefined); // run() settles every item itself
    });
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.maxGroup);
        try {
          await this.write(group.map((g) => g.item));
          for (const g of group) g.resolve();
        } catch (err) {
          if (group.length === 1) {
            group[0]!.reject(err);
            continue;
          }
          for (const g of group) {
            try {
              await this.write([g.item]);
              g.resolve();
            } catch (one) {
              g.reject(one);
            }
          }
        }
      }
    } finally {
      this.running = false;
      if (!this.scheduled) {
        this.markIdle?.();
        this.markIdle = null;
      }
    }
  }
}
