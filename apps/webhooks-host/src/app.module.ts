import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { WebhooksCoreModule } from '@hookline/webhooks-core';
import { WebhooksModule } from '@hookline/webhooks';
import { WebhooksManagementModule, WebhooksStoresModule } from '@hookline/webhooks-management';
import { WebhooksRabbitMqModule } from '@hookline/webhooks-rabbitmq';
import type { HooklineConfig } from './config/hookline.config';
import { OperationsModule } from './operations/operations.module';

/**
 * The standalone webhooks microservice: the webhooks modules on one PostgreSQL and one Redis, each given the
 * modules it depends on.
 */
@Module({})
export class AppModule {
  static forRoot(config: HooklineConfig): DynamicModule {
    const core = WebhooksCoreModule.forRoot({
      options: config.webhooks,
      definitionsFile: config.definitionsFile,
      featureGrants: config.featureGrants,
      encryptionKeys: config.encryptionKeys,
    });
    const stores = WebhooksStoresModule.forRoot({ core, database: config.database });
    const webhooks = WebhooksModule.forRoot({ core, stores, worker: config.role !== 'api' });
    const management = WebhooksManagementModule.forRoot({
      core,
      stores,
      webhooks,
      http: config.role !== 'worker',
      auth: config.auth,
      portal: config.portal,
      rateLimit: { ...config.rateLimit, redis: config.redis },
      history: { ...config.history, runRetention: config.role !== 'api' },
    });
    return {
      module: AppModule,
      imports: [
        BullModule.forRoot({ redis: config.redis.url, prefix: config.redis.prefix }),
        core,
        stores,
        webhooks,
        management,
        OperationsModule.forRoot({ adminApiKey: config.auth.adminApiKey, webhooks, stores, management }),
        ...(config.rabbitmq ? [WebhooksRabbitMqModule.forRoot(config.rabbitmq, webhooks)] : []),
      ],
    };
  }
}
