export * from './typeorm/entities';
export * from './typeorm/migrations';
export * from './typeorm/webhooks-database';
export * from './application/webhook-subscription.app-service';
export * from './http/current-tenant.decorator';
export * from './http/webhooks-api-error';
export * from './http/webhooks-exception.filter';
export * from './webhooks-management.module';
