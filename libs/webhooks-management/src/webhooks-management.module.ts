import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { getOptionsToken, getStorageToken } from '@nestjs/throttler';
import { WebhookDefinitionStore } from '@hookline/webhooks-core';
import { WebhookDeliveryStore, WebhookEventStore, WebhookSendAttemptStore, WebhookSubscriptionStore } from '@hookline/webhooks';
import { WebhookDataLifecycleStore } from './application/data-lifecycle.store';
import { WebhookDataLifecycleAppService } from './application/webhook-data-lifecycle.app-service';
import { WebhookSendAttemptAppService } from './application/webhook-send-attempt.app-service';
import { WebhookSubscriptionSendsAppService } from './application/webhook-subscription-sends.app-service';
import { WebhookDefinitionAppService } from './application/webhook-definition.app-service';
import { WebhookStatsAppService } from './application/webhook-stats.app-service';
import { WebhookStatsStore } from './application/webhook-stats.store';
import { WebhookSubscriptionAppService } from './application/webhook-subscription.app-service';
import { WebhookApiKeyStore } from './auth/api-keys/webhook-api-key';
import { WebhookApiKeyService } from './auth/api-keys/webhook-api-key.service';
import { JwtCredentialVerifier } from './auth/jwt-credential.verifier';
import { PortalSessionStore } from './auth/portal-sessions/portal-session';
import {
  DEFAULT_PORTAL_SESSION_OPTIONS,
  PORTAL_SESSION_OPTIONS,
  PortalSessionOptions,
} from './auth/portal-sessions/portal-session.options';
import { PortalSessionService } from './auth/portal-sessions/portal-session.service';
import { WEBHOOKS_AUTH_OPTIONS, WebhooksAuthOptions } from './auth/webhooks-auth.options';
import { WebhooksAuthGuard } from './auth/webhooks-auth.guard';
import { WebhooksCredentialService } from './auth/webhooks-credential.service';
import {
  RefusedCredentialLimit,
  WebhooksRateLimitGuard,
  WebhooksRateLimitOptions,
  WebhooksThrottlerOptions,
  webhooksThrottlerOptions,
} from './auth/webhooks-rate-limit.guard';
import { WebhookApiKeysController } from './http/webhook-api-keys.controller';
import { WebhookCatalogController, WebhookDefinitionsController } from './http/webhook-definitions.controller';
import { WebhookEventsController } from './http/webhook-events.controller';
import {
  WebhookPortalSessionExchangeController,
  WebhookPortalSessionsController,
} from './http/webhook-portal-sessions.controller';
import { WebhookPublishController } from './http/webhook-publish.controller';
import { WebhookSendAttemptsController } from './http/webhook-send-attempts.controller';
import { WebhookSubscriptionSendsController } from './http/webhook-subscription-sends.controller';
import { WebhookStatsController } from './http/webhook-stats.controller';
import { WebhookSubscriptionsController } from './http/webhook-subscriptions.controller';
import { WebhookTenantsController } from './http/webhook-tenants.controller';
import { WEBHOOKS_ENTITIES } from './typeorm/entities';
import { TypeOrmPortalSessionStore } from './typeorm/stores/typeorm-portal-session.store';
import { TypeOrmWebhookApiKeyStore } from './typeorm/stores/typeorm-webhook-api-key.store';
import { TypeOrmWebhookDataLifecycleStore } from './typeorm/stores/typeorm-webhook-data-lifecycle.store';
import { TypeOrmWebhookDefinitionStore } from './typeorm/stores/typeorm-webhook-definition.store';
import { TypeOrmWebhookDeliveryStore } from './typeorm/stores/typeorm-webhook-delivery.store';
import { TypeOrmWebhookEventStore } from './typeorm/stores/typeorm-webhook-event.store';
import { TypeOrmWebhookSendAttemptStore } from './typeorm/stores/typeorm-webhook-send-attempt.store';
import { TypeOrmWebhookStatsStore } from './typeorm/stores/typeorm-webhook-stats.store';
import { TypeOrmWebhookSubscriptionStore } from './typeorm/stores/typeorm-webhook-subscription.store';
import { SubscriptionSecretEncryption } from './typeorm/subscription-secret-encryption';
import { WebhooksDatabaseOptions, createWebhooksDataSource, webhooksDataSourceOptions } from './typeorm/webhooks-database';

export interface WebhooksManagementModuleOptions {
  /**
   * Give a database to have the module own the TypeORM connection (created and migrated at start-up).
   * Omit it when the host already has one: add WEBHOOKS_ENTITIES and WEBHOOKS_MIGRATIONS to it.
   */
  database?: WebhooksDatabaseOptions;
  /** Serve the HTTP API (false in a worker-only process). */
  http: boolean;
  /** Who may call the HTTP API. Default: nobody but API keys (there is no admin key to create the first). */
  auth?: WebhooksAuthOptions;
  /** How portal sessions are handed out (the portal's URL, the cookie's SameSite). */
  portal?: PortalSessionOptions;
  /** Requests per credential and window on the HTTP API, counted in Redis. Omitted or null: unlimited. */
  rateLimit?: WebhooksRateLimitOptions | null;
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
        ? [
            WebhookSubscriptionsController,
            WebhookSubscriptionSendsController,
            WebhookPublishController,
            WebhookSendAttemptsController,
            WebhookDefinitionsController,
            WebhookCatalogController,
            WebhookApiKeysController,
            WebhookEventsController,
            WebhookStatsController,
            WebhookPortalSessionsController,
            WebhookPortalSessionExchangeController,
            WebhookTenantsController,
          ]
        : [],
      providers: [
        { provide: WebhookSubscriptionStore, useClass: options.stores?.subscriptions ?? TypeOrmWebhookSubscriptionStore },
        { provide: WebhookEventStore, useClass: options.stores?.events ?? TypeOrmWebhookEventStore },
        { provide: WebhookDeliveryStore, useClass: options.stores?.deliveries ?? TypeOrmWebhookDeliveryStore },
        { provide: WebhookSendAttemptStore, useClass: options.stores?.sendAttempts ?? TypeOrmWebhookSendAttemptStore },
        { provide: WebhookApiKeyStore, useClass: options.stores?.apiKeys ?? TypeOrmWebhookApiKeyStore },
        { provide: WebhookDefinitionStore, useClass: options.stores?.definitions ?? TypeOrmWebhookDefinitionStore },
        SubscriptionSecretEncryption,
        WebhookSubscriptionAppService,
        WebhookDefinitionAppService,
        { provide: WebhookStatsStore, useClass: options.stores?.stats ?? TypeOrmWebhookStatsStore },
        WebhookStatsAppService,
        { provide: WebhookDataLifecycleStore, useClass: options.stores?.dataLifecycle ?? TypeOrmWebhookDataLifecycleStore },
        WebhookDataLifecycleAppService,
        { provide: WEBHOOKS_AUTH_OPTIONS, useValue: options.auth ?? { adminApiKey: null, jwt: null } },
        WebhookApiKeyService,
        { provide: PortalSessionStore, useClass: options.stores?.portalSessions ?? TypeOrmPortalSessionStore },
        { provide: PORTAL_SESSION_OPTIONS, useValue: options.portal ?? DEFAULT_PORTAL_SESSION_OPTIONS },
        PortalSessionService,
        JwtCredentialVerifier,
        WebhooksCredentialService,
        WebhooksAuthGuard,
        // The throttler's settings and storage, here rather than through ThrottlerModule (global), so a host's own
        // ThrottlerModule keeps its settings.
        // Without the HTTP API (a worker) nothing is counted, so no Redis connection is opened for it.
        {
          provide: getOptionsToken(),
          useFactory: () => webhooksThrottlerOptions(options.http ? (options.rateLimit ?? null) : null),
        },
        { provide: getStorageToken(), inject: [getOptionsToken()], useFactory: (o: WebhooksThrottlerOptions) => o.storage },
        { provide: RefusedCredentialLimit, inject: [getOptionsToken()], useFactory: (o: WebhooksThrottlerOptions) => o.refusals },
        WebhooksRateLimitGuard,
        WebhookSendAttemptAppService,
        WebhookSubscriptionSendsAppService,
      ],
      exports: [
        WebhookApiKeyService,
        WebhooksCredentialService,
        getOptionsToken(),
        getStorageToken(),
        RefusedCredentialLimit,
        WebhooksRateLimitGuard,
        WebhookSubscriptionStore,
        WebhookEventStore,
        WebhookDeliveryStore,
        WebhookSendAttemptStore,
        WebhookDefinitionStore,
        WebhookSubscriptionAppService,
        WebhookSendAttemptAppService,
        WebhookSubscriptionSendsAppService,
        WebhookDefinitionAppService,
      ],
    };
  }
}
