import { DynamicModule, Module } from '@nestjs/common';
import { getOptionsToken, getStorageToken } from '@nestjs/throttler';
import {
  DEFAULT_RETENTION_DAYS,
  WEBHOOK_HISTORY_OPTIONS,
  WebhookHistoryAppService,
  WebhookHistoryOptions,
} from './application/webhook-history.app-service';
import { WebhookDataLifecycleAppService } from './application/webhook-data-lifecycle.app-service';
import { WebhookSendAttemptAppService } from './application/webhook-send-attempt.app-service';
import { WebhookReplayAndTestSendAppService } from './application/webhook-replay-and-test-send.app-service';
import { WebhookDefinitionAppService } from './application/webhook-definition.app-service';
import { WebhookStatsAppService } from './application/webhook-stats.app-service';
import { WebhookSubscriptionDiagnosisAppService } from './application/webhook-subscription-diagnosis.app-service';
import { WebhookSubscriptionAppService } from './application/webhook-subscription.app-service';
import { WebhookApiKeyService } from './auth/api-keys/webhook-api-key.service';
import { JwtCredentialVerifier } from './auth/jwt-credential.verifier';
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
import { WebhookReplayAndTestSendController } from './http/webhook-replay-and-test-send.controller';
import { WebhookStatsController } from './http/webhook-stats.controller';
import { WebhookSubscriptionsController } from './http/webhook-subscriptions.controller';
import { WebhookTenantsController } from './http/webhook-tenants.controller';

export interface WebhooksManagementModuleOptions {
  /** The WebhooksCoreModule.forRoot(...) module of the application. */
  core: DynamicModule;
  /** The WebhooksStoresModule.forRoot(...) module of the application (or another one providing the store ports). */
  stores: DynamicModule;
  /** The WebhooksModule.forRoot(...) module of the application: publishing and the scheduler. */
  webhooks: DynamicModule;
  /** Serve the HTTP API (false in a worker-only process). */
  http: boolean;
  /** Who may call the HTTP API. Default: nobody but API keys (there is no admin key to create the first). */
  auth?: WebhooksAuthOptions;
  /** How portal sessions are handed out (the portal's URL, the cookie's SameSite). */
  portal?: PortalSessionOptions;
  /** Requests per credential and window on the HTTP API, counted in Redis. Omitted or null: unlimited. */
  rateLimit?: WebhooksRateLimitOptions | null;
  /** How long the delivery history is kept, and whether this process drops what is past it. Default: 30 days, not here. */
  history?: WebhookHistoryOptions;
}

/**
 * The application services and HTTP API of webhooks (LINGYUN's WebhooksManagement): subscriptions, definitions,
 * events and attempts, API keys, portal sessions, statistics and the data lifecycle. Depends on WebhooksCoreModule,
 * the stores and WebhooksModule.
 */
@Module({})
export class WebhooksManagementModule {
  static forRoot(options: WebhooksManagementModuleOptions): DynamicModule {
    return {
      module: WebhooksManagementModule,
      imports: [options.core, options.stores, options.webhooks],
      controllers: options.http
        ? [
            WebhookSubscriptionsController,
            WebhookReplayAndTestSendController,
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
        WebhookSubscriptionAppService,
        WebhookDefinitionAppService,
        WebhookStatsAppService,
        WebhookSubscriptionDiagnosisAppService,
        WebhookDataLifecycleAppService,
        {
          provide: WEBHOOK_HISTORY_OPTIONS,
          useValue: options.history ?? { retentionDays: DEFAULT_RETENTION_DAYS, runRetention: false },
        },
        WebhookHistoryAppService,
        { provide: WEBHOOKS_AUTH_OPTIONS, useValue: options.auth ?? { adminApiKey: null, jwt: null } },
        WebhookApiKeyService,
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
        WebhookReplayAndTestSendAppService,
      ],
      exports: [
        WebhookApiKeyService,
        WebhooksCredentialService,
        getOptionsToken(),
        getStorageToken(),
        RefusedCredentialLimit,
        WebhooksRateLimitGuard,
        WebhookSubscriptionAppService,
        WebhookSendAttemptAppService,
        WebhookReplayAndTestSendAppService,
        WebhookDefinitionAppService,
      ],
    };
  }
}
