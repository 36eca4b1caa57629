import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { WEBHOOKS_OPTIONS, WebhooksOptions } from '@hookline/webhooks-core';
import { WebhookObservers } from './observation/webhook-observer';
import { WebhookPublisher } from './publishing/webhook-publisher';
import { WebhooksEventHandler } from './publishing/webhooks-event.handler';
import { DefaultWebhookSender } from './sending/default-webhook-sender';
import { UndiciWebhookSender } from './sending/undici-webhook-sender';
import { DeliverySweeper } from './sending/delivery-sweeper';
import { RetryDeliveryLater, WEBHOOKS_QUEUE, WebhookDeliveryQueue } from './sending/webhook-delivery-queue';
import { WebhookDeliveryService } from './sending/webhook-delivery.service';
import { WebhookRedeliveryService } from './sending/webhook-redelivery.service';
import { WebhookSender } from './sending/webhook-sender';
import { WebhookSenderJob } from './sending/webhook-sender.job';
import { WEBHOOKS_WORKER_ENABLED, WebhookWorker } from './sending/webhook-worker';

export interface WebhooksModuleOptions {
  /** Consume the queue and run the sweeper in this process (the worker role). */
  worker: boolean;
  /** Replaceable transport; by default the HTTP client `httpClient` names in the options. */
  sender?: Type<WebhookSender>;
}

/** Bull's safety cap; the real attempt limit is decided from PostgreSQL by WebhookDeliveryService. */
const MAX_JOB_RUNS = 1000;
const INFRASTRUCTURE_RETRY_MAX_MS = 60_000;

/**
 * Publishing, the CQRS handler, the Bull sender job and the sweeper (ABP's AbpWebhooksModule). Needs
 * WebhooksCoreModule and a provider for each store port (WebhooksManagementModule supplies PostgreSQL ones).
 * Bull's connection comes from the host's BullModule.forRoot.
 */
@Module({})
export class WebhooksModule {
  static forRoot(options: WebhooksModuleOptions): DynamicModule {
    return {
      module: WebhooksModule,
      // Global like the store module it depends on: the management HTTP API uses the publisher and queue.
      global: true,
      imports: [
        CqrsModule,
        DiscoveryModule,
        BullModule.registerQueueAsync({
          name: WEBHOOKS_QUEUE,
          inject: [WEBHOOKS_OPTIONS],
          useFactory: (webhooks: WebhooksOptions) => ({
            settings: {
              lockDuration: webhooks.jobLockDurationMs,
              stalledInterval: webhooks.jobLockDurationMs,
              backoffStrategies: {
                // A receiver's failure carries its computed delay; an infrastructure error (say PostgreSQL
                // away) is retried on a short exponential schedule and counts as no attempt.
                webhook: (runs: number, err: Error) =>
                  err instanceof RetryDeliveryLater
                    ? err.delayMs
                    : Math.min(INFRASTRUCTURE_RETRY_MAX_MS, webhooks.retryBaseDelayMs, 1000 * 2 ** runs),
              },
            },
            defaultJobOptions: {
              attempts: MAX_JOB_RUNS,
              backoff: { type: 'webhook' },
              removeOnComplete: true,
              removeOnFail: true,
              stackTraceLimit: 1,
            },
          }),
        }),
      ],
      providers: [
        { provide: WEBHOOKS_WORKER_ENABLED, useValue: options.worker },
        options.sender
          ? { provide: WebhookSender, useClass: options.sender }
          : {
              provide: WebhookSender,
              inject: [WEBHOOKS_OPTIONS],
              useFactory: (webhooks: WebhooksOptions) =>
                webhooks.httpClient === 'undici' ? new UndiciWebhookSender(webhooks) : new DefaultWebhookSender(webhooks),
            },
        WebhookObservers,
        WebhookPublisher,
        WebhooksEventHandler,
        WebhookDeliveryQueue,
        WebhookDeliveryService,
        WebhookRedeliveryService,
        WebhookSenderJob,
        DeliverySweeper,
        WebhookWorker,
      ],
      exports: [
        WebhookPublisher,
        WebhookDeliveryQueue,
        DeliverySweeper,
        WebhookDeliveryService,
        WebhookRedeliveryService,
        CqrsModule,
      ],
    };
  }
}
