/**
 * Event ids: one sequence for the whole gateway, handed out synchronously
 * (emit cannot wait) from a block reserved in the store ahead of use, so a
 * restart continues after every id already seen and never reuses one. In
 * cluster mode each node takes only ids in its own slot modulo a stride,
 * from the clock, so ids are unique and time-ordered across nodes.
 */
import type { Logger } from 'pino';
import type { EventRepo } from '../store/types.js';

export const DEFAULT_ID_BLOCK = 1000;

export class EventIds {
  private nextId: number;
  /** Ids up to this one are reserved in the store. */
  private reservedThrough = Number.MAX_SAFE_INTEGER;
  private reserving = false;
  private slot: { slot: number; stride: number } | null = null;

  constructor(
    private readonly repo: Pick<EventRepo, 'reserveIds'> | undefined,
    private readonly logger: Logger,
    private readonly block = DEFAULT_ID_BLOCK,
  ) {
    // Without a store there is nothing to continue from: start from the clock
    // so a client resuming with an id from a previous process gets no stale replay.
    this.nextId = repo ? 1 : Date.now() * 1000;
  }

  /** The id the next event would get at the earliest. */
  get next(): number {
    return this.nextId;
  }

  /** Continue after `lastEventId` and reserve the first block (before the first id is taken). */
  async continueAfter(lastEventId: number): Promise<void> {
    this.nextId = Math.max(this.nextId, lastEventId + 1);
    if (!this.repo) return;
    const through = this.nextId + this.block - 1;
    await this.repo.reserveIds(through);
    this.reservedThrough = through;
  }

  /** Cluster mode: take ids in this node's slot (before the first id is taken). */
  useSlot(slot: number, stride: number): void {
    this.slot = { slot, stride };
  }

  /** The next id; reserves the following block in the store once half of this one is used. */
  take(): number {
    const id = this.slot ? this.slotId(this.slot) : this.nextId++;
    if (this.repo && !this.reserving && this.reservedThrough - id < this.block / 2) this.reserveMore(this.repo);
    return id;
  }

  private reserveMore(repo: Pick<EventRepo, 'reserveIds'>): void {
    const through = Math.max(this.reservedThrough, this.nextId) + this.block;
    this.reserving = true;
    repo.reserveIds(through).then(
      () => {
        this.reservedThrough = through;
        this.reserving = false;
      },
      (err: unknown) => {
        // Ids go on (emit cannot wait); the next id tries again.
        this.reserving = false;
        this.logger.warn({ err }, 'could not reserve event ids in the store');
      },
    );
  }

  /** An id ≡ slot (mod stride), from the clock (µs), never below the last one. */
  private slotId({ slot, stride }: { slot: number; stride: number }): number {
    const fromClock = Date.now() * 1000;
    let id = fromClock - (fromClock % stride) + slot;
    const floor = this.nextId;
    if (id < floor) id = floor + ((slot - (floor % stride) + stride) % stride);
    this.nextId = id + 1;
    return id;
  }
}
