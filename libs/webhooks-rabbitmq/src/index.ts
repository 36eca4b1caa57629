export * from './webhooks-rabbitmq-options';
export * from './webhooks-event-message';
export * from './rabbitmq-webhooks-consumer';
export * from './rabbitmq-readiness.check';
export * from './webhooks-rabbitmq.module';
