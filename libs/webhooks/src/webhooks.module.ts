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
import { DeliveryDispatch } from './domain/ports/delivery-dispatch';
import { RedisDeliveryDispatch } from './sending/redis-delivery-dispatch';
import { WebhookDeliveryService } from './sending/webhook-delivery.service';
import { WebhookRedeliveryService } from './application/webhook-redelivery.service';
import { WebhookSender } from './sending/webhook-sender';
import { WEBHOOKS_QUEUE } from './sending/webhook-sender.job';
import { WebhookSenderProcessor } from './sending/webhook-sender.processor';
import { WEBHOOKS_WORKER_ENABLED, WebhookWorker } from './sending/webhook-worker';

export interface WebhooksModuleOptions {
  /** The WebhooksCoreModule.forRoot(...) module of the application. */
  core: DynamicModule;
  /** A module exporting a provider for each store port (WebhooksStoresModule.forRoot(...) for PostgreSQL). */
  stores: DynamicModule;
  /** Send deliveries, move due retries and run the sweeper in this process (the worker role). */
  worker: boolean;
  /** Replaceable transport; by default the HTTP client `httpClient` names in the options. */
  sender?: Type<WebhookSender>;
}

/**
 * Publishing, the CQRS handler, the scheduler (Bull/Redis) with its worker and WebhookSenderJob processor, and the
 * sweeper (ABP's AbpWebhooksModule).
 * Depends on WebhooksCoreModule and on a module providing each store port (WebhooksStoresModule for PostgreSQL).
 * Bull's connection comes from the host's BullModule.forRoot.
 */
@Module({})
export class WebhooksModule {
  static forRoot(options: WebhooksModuleOptions): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [
        options.core,
        options.stores,
        CqrsModule,
        DiscoveryModule,
        // A job whose process died is not run again: the scheduler's lease expiry is the one recovery path.
        BullModule.registerQueue({ name: WEBHOOKS_QUEUE, settings: { maxStalledCount: 0 } }),
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
        { provide: DeliveryDispatch, useClass: RedisDeliveryDispatch },
        WebhookDeliveryService,
        WebhookRedeliveryService,
        DeliverySweeper,
        WebhookWorker,
        // Bull runs the jobs of every processor it finds: only a worker has one.
        ...(options.worker ? [WebhookSenderProcessor] : []),
      ],
      exports: [
        WebhookObservers,
        WebhookPublisher,
        DeliveryDispatch,
        DeliverySweeper,
        WebhookDeliveryService,
        WebhookRedeliveryService,
        CqrsModule,
      ],
    };
  }
}
