import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { WebhooksCoreModule } from '@hookline/webhooks-core';
import { WebhooksModule } from '@hookline/webhooks';
import { WebhooksManagementModule } from '@hookline/webhooks-management';
import { WebhooksRabbitMqModule } from '@hookline/webhooks-rabbitmq';
import type { HooklineConfig } from './config/hookline.config';
import { OperationsModule } from './operations/operations.module';

/** The standalone webhooks microservice: the three webhooks modules on one PostgreSQL and one Redis. */
@Module({})
export class AppModule {
  static forRoot(config: HooklineConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        WebhooksCoreModule.forRoot({
          options: config.webhooks,
          definitionsFile: config.definitionsFile,
          featureGrants: config.featureGrants,
          encryptionKeys: config.encryptionKeys,
        }),
        BullModule.forRoot({ redis: config.redis.url, prefix: config.redis.prefix }),
        WebhooksManagementModule.forRoot({
          database: config.database,
          http: config.role !== 'worker',
          auth: config.auth,
          portal: config.portal,
          rateLimit: { ...config.rateLimit, redis: config.redis },
        }),
        WebhooksModule.forRoot({ worker: config.role !== 'api' }),
        OperationsModule.forRoot({ adminApiKey: config.auth.adminApiKey }),
        ...(config.rabbitmq ? [WebhooksRabbitMqModule.forRoot(config.rabbitmq)] : []),
      ],
    };
  }
}
