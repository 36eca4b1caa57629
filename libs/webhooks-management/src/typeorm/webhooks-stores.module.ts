import { DynamicModule, Module, OnModuleInit, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDefinitionManager, WebhookDefinitionStore } from '@hookline/webhooks-core';
import { WebhookDeliveryStore, WebhookEventStore, WebhookSendAttemptStore, WebhookSubscriptionStore } from '@hookline/webhooks';
import { WebhookDataLifecycleStore } from '../domain/ports/webhook-data-lifecycle.store';
import { WebhookHistoryPartitionStore } from '../domain/ports/webhook-history-partition.store';
import { WebhookStatsStore } from '../domain/ports/webhook-stats.store';
import { WebhookApiKeyStore } from '../domain/ports/webhook-api-key.store';
import { PortalSessionStore } from '../domain/ports/portal-session.store';
import { WEBHOOKS_ENTITIES } from './entities';
import { TypeOrmPortalSessionStore } from './stores/typeorm-portal-session.store';
import { TypeOrmWebhookApiKeyStore } from './stores/typeorm-webhook-api-key.store';
import { TypeOrmWebhookDataLifecycleStore } from './stores/typeorm-webhook-data-lifecycle.store';
import { TypeOrmWebhookDefinitionStore } from './stores/typeorm-webhook-definition.store';
import { TypeOrmWebhookDeliveryStore } from './stores/typeorm-webhook-delivery.store';
import { TypeOrmWebhookEventStore } from './stores/typeorm-webhook-event.store';
import { TypeOrmWebhookHistoryPartitionStore } from './stores/typeorm-webhook-history-partition.store';
import { TypeOrmWebhookSendAttemptStore } from './stores/typeorm-webhook-send-attempt.store';
import { TypeOrmWebhookStatsStore } from './stores/typeorm-webhook-stats.store';
import { TypeOrmWebhookSubscriptionStore } from './stores/typeorm-webhook-subscription.store';
import { SubscriptionSecretEncryption } from './subscription-secret-encryption';
import { WebhooksDatabaseOptions, createWebhooksDataSource, webhooksDataSourceOptions } from './webhooks-database';

export interface WebhooksStoresModuleOptions {
  /** The WebhooksCoreModule.forRoot(...) module of the application: definitions and secret encryption. */
  core: DynamicModule;
  /**
   * Give a database to have the module own the TypeORM connection (created and migrated at start-up).
   * Omit it when the host already has one: add WEBHOOKS_ENTITIES and WEBHOOKS_MIGRATIONS to it.
   */
  database?: WebhooksDatabaseOptions;
  /** Replaceable stores (ABP style): a host swaps one without forking the module. */
  stores?: {
    subscriptions?: Type<WebhookSubscriptionStore>;
    events?: Type<WebhookEventStore>;
    deliveries?: Type<WebhookDeliveryStore>;
    sendAttempts?: Type<WebhookSendAttemptStore>;
    apiKeys?: Type<WebhookApiKeyStore>;
    definitions?: Type<WebhookDefinitionStore>;
    stats?: Type<WebhookStatsStore>;
    portalSessions?: Type<PortalSessionStore>;
    dataLifecycle?: Type<WebhookDataLifecycleStore>;
    historyPartitions?: Type<WebhookHistoryPartitionStore>;
  };
}

/**
 * Every store port on PostgreSQL (TypeORM), for WebhooksModule and WebhooksManagementModule to import. It also
 * hands the definitions store to the core's WebhookDefinitionManager, so definitions made through the API are
 * found by every module.
 */
@Module({})
export class WebhooksStoresModule implements OnModuleInit {
  constructor(
    private readonly definitions: WebhookDefinitionManager,
    private readonly definitionStore: WebhookDefinitionStore,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.definitions.attachStore(this.definitionStore);
  }

  static forRoot({ core, database, stores = {} }: WebhooksStoresModuleOptions): DynamicModule {
    const ports: [abstract new (...args: never[]) => unknown, Type][] = [
      [WebhookSubscriptionStore, stores.subscriptions ?? TypeOrmWebhookSubscriptionStore],
      [WebhookEventStore, stores.events ?? TypeOrmWebhookEventStore],
      [WebhookDeliveryStore, stores.deliveries ?? TypeOrmWebhookDeliveryStore],
      [WebhookSendAttemptStore, stores.sendAttempts ?? TypeOrmWebhookSendAttemptStore],
      [WebhookApiKeyStore, stores.apiKeys ?? TypeOrmWebhookApiKeyStore],
      [WebhookDefinitionStore, stores.definitions ?? TypeOrmWebhookDefinitionStore],
      [WebhookStatsStore, stores.stats ?? TypeOrmWebhookStatsStore],
      [PortalSessionStore, stores.portalSessions ?? TypeOrmPortalSessionStore],
      [WebhookDataLifecycleStore, stores.dataLifecycle ?? TypeOrmWebhookDataLifecycleStore],
      [WebhookHistoryPartitionStore, stores.historyPartitions ?? TypeOrmWebhookHistoryPartitionStore],
    ];
    return {
      module: WebhooksStoresModule,
      imports: [
        core,
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
      providers: [...ports.map(([provide, useClass]) => ({ provide, useClass })), SubscriptionSecretEncryption],
      exports: [...ports.map(([port]) => port), SubscriptionSecretEncryption],
    };
  }
}
