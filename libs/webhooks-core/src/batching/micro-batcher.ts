/**
 * Gathers the calls made in the same turn of the event loop (and those made while earlier batches are
 * still running) into one batch, so N concurrent deliveries cost one database round trip instead of N.
 * Each caller still gets its own result, only after the batch that holds its item has finished: batching
 * changes how many statements run, never what a caller has been told.
 */
export class MicroBatcher<I, O> {
  private queued: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight = 0;

  /**
   * @param runBatch answers one result per item, in the items' order.
   * @param maxBatch most items in one batch.
   * @param maxInFlight most batches running at once; further calls wait and join the next batch.
   */
  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 100,
    private readonly maxInFlight = 2,
  ) {}

  load(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queued.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queued.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queued.splice(0, this.maxBatch);
      this.inFlight++;
      this.runBatch(batch.map((b) => b.item))
        .then(
          (results) => {
            if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${results.length} results`);
            batch.forEach((b, i) => b.resolve(results[i]));
          },
          (e: unknown) => batch.forEach((b) => b.reject(e)),
        )
        .catch((e: unknown) => batch.forEach((b) => b.reject(e)))
        .finally(() => {
          this.inFlight--;
          this.schedule();
        });
    }
  }
}

/**
 * Runs `items` together; should that fail, each again on its own, so one item that cannot be done (say, its
 * row deleted meanwhile) fails only its own caller. A lone item's failure is final unless `retryAlone` says
 * it is worth one more try (a deadlock victim, say).
 */
export async function settleTogetherOrAlone<I, O>(
  items: readonly I[],
  run: (items: I[]) => Promise<O[]>,
  retryAlone: (e: unknown) => boolean = () => false,
): Promise<PromiseSettledResult<O>[]> {
  try {
    return (await run([...items])).map((value) => ({ status: 'fulfilled', value }));
  } catch (e) {
    if (items.length === 1 && !retryAlone(e)) return [{ status: 'rejected', reason: e }];
    const results: PromiseSettledResult<O>[] = [];
    for (const item of items) {
      results.push(
        await run([item]).then(
          ([value]) => ({ status: 'fulfilled', value }) as const,
          (reason: unknown) => ({ status: 'rejected', reason }) as const,
        ),
      );
    }
    return results;
  }
}
