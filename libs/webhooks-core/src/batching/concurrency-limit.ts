/**
 * At most `limit` holders at once; the others wait their turn, first come first served. The worker shares
 * one across all its queue jobs, so a job carrying many deliveries cannot open more sends than allowed.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Waits for a slot; the answer gives it back (once, however often it is called). */
  async acquire(): Promise<() => void> {
    await new Promise<void>((resolve) => this.claim(resolve, false));
    return this.releaser();
  }

  /**
   * Runs `task` for each item, each holding a slot, and settles like Promise.allSettled in the items' order.
   * Lists are served first come first served, item by item, and an item's task is only created once a slot is
   * its: a long list waiting costs one place in the line, not one pending task per item. A task may give its
   * slot back early with `release`; it is given back when the task settles at the latest.
   */
  runEach<T, R>(items: readonly T[], task: (item: T, release: () => void) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
    const results: PromiseSettledResult<R>[] = new Array(items.length);
    if (items.length === 0) return Promise.resolve(results);
    return new Promise((resolve) => {
      let next = 0;
      let settled = 0;
      const startNext = (): void => {
        const i = next++;
        const release = this.releaser();
        void Promise.resolve()
          .then(() => task(items[i], release))
          .then(
            (value) => (results[i] = { status: 'fulfilled', value }),
            (reason: unknown) => (results[i] = { status: 'rejected', reason }),
          )
          .finally(() => {
            release();
            if (++settled === items.length) resolve(results);
          });
        // The list keeps its place at the head of the line until its last item has started.
        if (next < items.length) this.claim(startNext, true);
      };
      this.claim(startNext, false);
    });
  }

  /** Calls `onSlot` holding a slot: now if one is free, else when one is handed over. */
  private claim(onSlot: () => void, first: boolean): void {
    if (this.running < this.limit) {
      this.running++;
      onSlot();
    } else if (first) this.waiting.unshift(onSlot);
    else this.waiting.push(onSlot);
  }

  /** Gives a held slot back, once: it passes straight to the next in line, so `running` stays what really runs. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}
