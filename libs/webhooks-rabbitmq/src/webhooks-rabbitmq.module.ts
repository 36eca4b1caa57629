import { DynamicModule, Module } from '@nestjs/common';
import { RabbitMqReadinessCheck } from './rabbitmq-readiness.check';
import { RabbitMqWebhooksConsumer } from './rabbitmq-webhooks-consumer';
import { WEBHOOKS_RABBITMQ_OPTIONS, WebhooksRabbitMqOptions } from './webhooks-rabbitmq-options';

/**
 * The distributed event bus: WebhooksEventData messages from other services, over RabbitMQ (ABP's
 * Abp.EventBus.RabbitMq side of the webhooks module). Needs WebhooksModule (the publisher).
 */
@Module({})
export class WebhooksRabbitMqModule {
  /** `webhooks`: the application's WebhooksModule.forRoot(...) module, whose publisher stores the events. */
  static forRoot(options: WebhooksRabbitMqOptions, webhooks: DynamicModule): DynamicModule {
    return {
      module: WebhooksRabbitMqModule,
      imports: [webhooks],
      providers: [{ provide: WEBHOOKS_RABBITMQ_OPTIONS, useValue: options }, RabbitMqWebhooksConsumer, RabbitMqReadinessCheck],
      exports: [RabbitMqWebhooksConsumer, RabbitMqReadinessCheck],
    };
  }
}
