import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveryStore, WebhookEventStore, WebhookSendAttemptStore, WebhookSubscriptionStore } from '@hookline/webhooks';
import { WebhookSubscriptionAppService } from './application/webhook-subscription.app-service';
import { WebhookDefinitionsController } from './http/webhook-definitions.controller';
import { WebhookPublishController } from './http/webhook-publish.controller';
import { WebhookSendAttemptsController } from './http/webhook-send-attempts.controller';
import { WebhookSubscriptionsController } from './http/webhook-subscriptions.controller';
import { WEBHOOKS_ENTITIES } from './typeorm/entities';
import { TypeOrmWebhookDeliveryStore } from './typeorm/stores/typeorm-webhook-delivery.store';
import { TypeOrmWebhookEventStore } from './typeorm/stores/typeorm-webhook-event.store';
import { TypeOrmWebhookSendAttemptStore } from './typeorm/stores/typeorm-webhook-send-attempt.store';
import { TypeOrmWebhookSubscriptionStore } from './typeorm/stores/typeorm-webhook-subscription.store';
import { WebhooksDatabaseOptions, createWebhooksDataSource, webhooksDataSourceOptions } from './typeorm/webhooks-database';

export interface WebhooksManagementModuleOptions {
  /**
   * Give a database to have the module own the TypeORM connection (created and migrated at start-up).
   * Omit it when the host already has one: add WEBHOOKS_ENTITIES and WEBHOOKS_MIGRATIONS to it.
   */
  database?: WebhooksDatabaseOptions;
  /** Serve the HTTP API (false in a worker-only process). */
  http: boolean;
  /** Replaceable stores (ABP style): a host swaps one without forking the module. */
  stores?: {
    subscriptions?: Type<WebhookSubscriptionStore>;
    events?: Type<WebhookEventStore>;
    deliveries?: Type<WebhookDeliveryStore>;
    sendAttempts?: Type<WebhookSendAttemptStore>;
  };
}

/**
 * Persistence on PostgreSQL for every store port, plus the application services and HTTP API
 * (LINGYUN's WebhooksManagement). Global, so WebhooksModule finds the stores.
 */
@Global()
@Module({})
export class WebhooksManagementModule {
  static forRoot(options: WebhooksManagementModuleOptions): DynamicModule {
    const database = options.database;
    return {
      module: WebhooksManagementModule,
      imports: [
        ...(database
          ? [
              TypeOrmModule.forRootAsync({
                useFactory: () => webhooksDataSourceOptions(database),
                dataSourceFactory: (dsOptions) => createWebhooksDataSource({ ...dsOptions!, url: database.url }),
              }),
            ]
          : []),
        TypeOrmModule.forFeature(WEBHOOKS_ENTITIES),
      ],
      controllers: options.http
        ? [WebhookSubscriptionsController, WebhookPublishController, WebhookSendAttemptsController, WebhookDefinitionsController]
        : [],
      providers: [
        { provide: WebhookSubscriptionStore, useClass: options.stores?.subscriptions ?? TypeOrmWebhookSubscriptionStore },
        { provide: WebhookEventStore, useClass: options.stores?.events ?? TypeOrmWebhookEventStore },
        { provide: WebhookDeliveryStore, useClass: options.stores?.deliveries ?? TypeOrmWebhookDeliveryStore },
        { provide: WebhookSendAttemptStore, useClass: options.stores?.sendAttempts ?? TypeOrmWebhookSendAttemptStore },
        WebhookSubscriptionAppService,
      ],
      exports: [
        WebhookSubscriptionStore,
        WebhookEventStore,
        WebhookDeliveryStore,
        WebhookSendAttemptStore,
        WebhookSubscriptionAppService,
      ],
    };
  }
}
