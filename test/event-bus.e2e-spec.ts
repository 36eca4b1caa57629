import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BullModule } from '@nestjs/bull';
import { INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventBus, UnhandledExceptionBus } from '@nestjs/cqrs';
import { firstValueFrom } from 'rxjs';
import {
  IWebhookDefinitionProvider,
  WebhookDefinitionContext,
  WebhookDefinitionManager,
  WebhookDefinitionProvider,
  WebhooksCoreModule,
} from '@hookline/webhooks-core';
import { WebhookPublisher, WebhooksEvent, WebhooksModule } from '@hookline/webhooks';
import { WebhookSubscriptionAppService, WebhooksManagementModule, WebhooksStoresModule } from '@hookline/webhooks-management';
import { REDIS_URL, ScratchEnvironment } from './support/hookline';
import { TestReceiver } from './support/receiver';

/** Definitions a host application registers in code, discovered by the definition manager. */
@WebhookDefinitionProvider()
@Injectable()
class ShopWebhookDefinitions implements IWebhookDefinitionProvider {
  define(context: WebhookDefinitionContext): void {
    context
      .addGroup('shop', 'Shop')
      .addWebhook({ name: 'shop.order.placed', displayName: 'Order placed' })
      .addWebhook({ name: 'shop.refund.issued', requiredFeatures: ['Shop.Refunds'] });
  }
}

@Module({ providers: [ShopWebhookDefinitions] })
class ShopModule {}

/** Flow step 1: the module used in-process by another Nest application, publishing on its CQRS EventBus. */
describe('in-process use through the CQRS EventBus', () => {
  const env = new ScratchEnvironment();
  let app: INestApplicationContext;
  let receiver: TestReceiver;

  before(async () => {
    receiver = await TestReceiver.start();
    const core = WebhooksCoreModule.forRoot({
      options: { retryBaseDelayMs: 50, retryMaxDelayMs: 200, allowPrivateNetworks: true },
      featureGrants: { '*': [] },
    });
    const stores = WebhooksStoresModule.forRoot({ core, database: { url: env.databaseUrl(), poolSize: 5 } });
    const webhooks = WebhooksModule.forRoot({ core, stores, worker: true });
    @Module({
      imports: [
        BullModule.forRoot({ redis: REDIS_URL, prefix: env.queuePrefix }),
        core,
        stores,
        webhooks,
        WebhooksManagementModule.forRoot({ core, stores, webhooks, http: false }),
        ShopModule,
      ],
    })
    class HostApplicationModule {}
    app = await NestFactory.createApplicationContext(HostApplicationModule, { logger: ['error'] });
    await app.init();
  });

  after(async () => {
    await app.close();
    await receiver.close();
    await env.drop();
  });

  it('discovers definitions registered in code', () => {
    const definitions = app.get(WebhookDefinitionManager);
    assert.equal(definitions.getOrNull('shop.order.placed')?.groupName, 'shop');
    assert.deepEqual(definitions.getOrNull('shop.refund.issued')?.requiredFeatures, ['Shop.Refunds']);
    assert.equal(definitions.getOrNull('order.created'), null, 'no definitions file was configured');
  });

  it('delivers a WebhooksEvent published on the EventBus', async () => {
    const subscription = await app
      .get(WebhookSubscriptionAppService)
      .create('shop-tenant', { webhookUri: receiver.url('/shop'), webhooks: ['shop.*'] });
    app
      .get(EventBus)
      .publish(new WebhooksEvent({ webhookName: 'shop.order.placed', data: { orderId: 'A-1' }, tenantId: 'shop-tenant' }));
    const [request] = await receiver.waitForRequests('/shop', 1);
    const body = JSON.parse(request.body);
    assert.equal(body.webhookEvent, 'shop.order.placed');
    assert.deepEqual(body.data, { orderId: 'A-1' });
    assert.ok(subscription.id);
  });

  it('reports a WebhooksEvent that could not be published on the UnhandledExceptionBus, and WebhookPublisher throws it', async () => {
    const failure = firstValueFrom(app.get(UnhandledExceptionBus));
    app.get(EventBus).publish(new WebhooksEvent({ webhookName: 'shop.unknown', data: {} }));
    const { exception, cause } = await failure;
    assert.match(String((exception as Error).message), /unknown webhook 'shop.unknown'/);
    assert.ok(cause instanceof WebhooksEvent);
    await assert.rejects(app.get(WebhookPublisher).publish({ webhookName: 'shop.unknown', data: {} }), /unknown webhook/);
  });

  it('stores but does not deliver a feature-gated webhook the tenant lacks', async () => {
    await assert.rejects(
      app
        .get(WebhookSubscriptionAppService)
        .create('shop-tenant', { webhookUri: receiver.url('/refunds'), webhooks: ['shop.refund.issued'] }),
      /requires features/,
    );
    const { deliveryCount } = await app
      .get(WebhookPublisher)
      .publish({ webhookName: 'shop.refund.issued', data: { refundId: 'R-1' }, tenantId: 'shop-tenant' });
    assert.equal(deliveryCount, 0, "the shop.* subscription does not receive what the tenant's features exclude");
  });
});
