import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { WebhooksCoreModule } from '@hookline/webhooks-core';
import { WebhooksModule } from '@hookline/webhooks';
import { WebhooksManagementModule, WebhooksStoresModule } from '@hookline/webhooks-management';
import { WebhookReceiverModule } from '@hookline/webhooks-receiver/nest';
import { ShopWebhookHandlers, WebhookInboxController } from './inbox/webhook-inbox';
import { OrdersController } from './orders/orders.controller';
import { PlaceOrderHandler } from './orders/place-order';
import type { ShopConfig } from './shop.config';
import { RegisterUserHandler } from './users/register-user';
import { UsersController } from './users/users.controller';
import { ShopWebhookDefinitions, ShopWebhooksPublisher } from './webhooks/shop-webhooks';

/**
 * A SaaS backend with webhooks built in: its own features (orders, users) plus the three webhooks modules,
 * which store events and subscriptions in the shop's database, send from a worker inside this process, and
 * serve the webhooks management API (`/api/webhooks/...`) to the shop's tenants. With inbox secrets configured
 * it also receives webhooks (`/webhook-inbox`), verified and routed by the receiver toolkit.
 */
@Module({})
export class ShopModule {
  static forRoot(config: ShopConfig): DynamicModule {
    const inbox = config.inboxSecrets.length > 0;
    const core = WebhooksCoreModule.forRoot({
      options: { allowPrivateNetworks: config.allowPrivateNetworks },
      definitionsFile: null,
    });
    const stores = WebhooksStoresModule.forRoot({ core, database: { url: config.databaseUrl, poolSize: 10 } });
    const webhooks = WebhooksModule.forRoot({ core, stores, worker: true });
    return {
      module: ShopModule,
      imports: [
        CqrsModule,
        BullModule.forRoot({ redis: config.redisUrl, prefix: config.queuePrefix }),
        core,
        stores,
        webhooks,
        WebhooksManagementModule.forRoot({
          core,
          stores,
          webhooks,
          http: true,
          auth: { adminApiKey: config.adminApiKey, jwt: null },
        }),
        ...(inbox ? [WebhookReceiverModule.forRoot({ secrets: config.inboxSecrets })] : []),
      ],
      controllers: [OrdersController, UsersController, ...(inbox ? [WebhookInboxController] : [])],
      providers: [
        PlaceOrderHandler,
        RegisterUserHandler,
        ShopWebhookDefinitions,
        ShopWebhooksPublisher,
        ...(inbox ? [ShopWebhookHandlers] : []),
      ],
    };
  }
}
