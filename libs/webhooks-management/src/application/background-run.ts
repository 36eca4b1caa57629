import type { Logger } from '@nestjs/common';

/**
 * Work a process does in the background, one run at a time: a start while a run is under way is dropped (the
 * run under way or the next timer covers it), a failure is logged, and shutdown can wait for the run to end.
 */
export class BackgroundRun {
  private running?: Promise<void>;

  /** `onFailure`: what the log says when a run fails (and when it will be tried again). */
  constructor(
    private readonly logger: Logger,
    private readonly onFailure: string,
  ) {}

  start(work: () => Promise<void>): void {
    if (this.running) return;
    this.running = work()
      .catch((e) => this.logger.error(`${this.onFailure}: ${(e as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  /** Resolves once no run is under way. */
  async ended(): Promise<void> {
    await this.running;
  }
}
