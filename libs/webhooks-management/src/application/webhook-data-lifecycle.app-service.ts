import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WebhookNotFoundError } from '@hookline/webhooks-core';
import { DeliveryDispatch } from '@hookline/webhooks';
import { ExpungedEvent, TenantErasure, WebhookDataLifecycleStore } from '../domain/ports/webhook-data-lifecycle.store';
import { BackgroundRun } from './background-run';

/** Rows deleted per statement: short statements, so erasing a large tenant never holds locks for long. */
const ERASE_BATCH_ROWS = 5000;
/** How long a process holds an erasure without progress before another may take it over. */
const ERASURE_LEASE_MS = 30_000;
/** How often a process looks for erasures no process holds (requested elsewhere, or left by a dead process). */
const ERASURE_POLL_MS = 5_000;

/**
 * Erasing data on request: a whole tenant (in the background, resumable by any process) and one event's
 * payload (at once).
 */
@Injectable()
export class WebhookDataLifecycleAppService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDataLifecycleAppService.name);
  private pollTimer?: NodeJS.Timeout;
  private readonly erasures = new BackgroundRun(this.logger, 'Tenant erasure stopped; it resumes on the next poll');
  private stopping = false;

  constructor(
    private readonly store: WebhookDataLifecycleStore,
    private readonly dispatch: DeliveryDispatch,
  ) {}

  /** Starts erasing the tenant's rows (or finds the erasure already running); answers where it stands. */
  async requestErasure(tenantId: string): Promise<TenantErasure> {
    const erasure = await this.store.requestErasure(tenantId, new Date());
    this.runErasures();
    return erasure;
  }

  async getErasure(tenantId: string): Promise<TenantErasure> {
    const erasure = await this.store.findErasure(tenantId);
    if (!erasure) throw new WebhookNotFoundError('Tenant erasure', tenantId);
    return erasure;
  }

  async expungeEvent(tenantId: string | null, id: string): Promise<ExpungedEvent> {
    const expunged = await this.store.expungeEvent(tenantId, id, new Date());
    if (!expunged) throw new WebhookNotFoundError('Webhook event', id);
    return expunged;
  }

  onApplicationBootstrap(): void {
    this.runErasures();
    this.pollTimer = setInterval(() => this.runErasures(), ERASURE_POLL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    await this.erasures.ended();
  }

  /** Runs the erasures no process holds, one after another; at most one run per process at a time. */
  private runErasures(): void {
    if (!this.stopping) this.erasures.start(() => this.eraseUnheld());
  }

  private async eraseUnheld(): Promise<void> {
    const lease = () => new Date(Date.now() + ERASURE_LEASE_MS);
    let tenantId: string | null;
    while (!this.stopping && (tenantId = await this.store.claimErasure(new Date(), lease()))) {
      await this.erase(tenantId, lease);
    }
  }

  private async erase(tenantId: string, lease: () => Date): Promise<void> {
    this.logger.log(`Erasing tenant ${tenantId}`);
    try {
      while (!this.stopping) {
        const batch = await this.store.eraseBatch(tenantId, ERASE_BATCH_ROWS, lease());
        // The scheduler keeps no row, but it keeps deleted endpoints' limits, breaker and window until told.
        if (batch && batch.subscriptionIds.length > 0) await this.dispatch.forget(batch.subscriptionIds).catch(() => undefined);
        if (!batch) {
          await this.store.completeErasure(tenantId, new Date());
          this.logger.log(`Tenant ${tenantId} erased`);
          return;
        }
      }
      await this.store.releaseErasure(tenantId);
    } catch (e) {
      await this.store.releaseErasure(tenantId).catch(() => undefined);
      throw e;
    }
  }
}
