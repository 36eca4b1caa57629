import { Injectable } from '@nestjs/common';
import { EventBus, EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { IWebhookDefinitionProvider, WebhookDefinitionContext, WebhookDefinitionProvider } from '@hookline/webhooks-core';
import { WebhooksEvent } from '@hookline/webhooks';
import { OrderPlacedEvent } from '../orders/place-order';
import { UserRegisteredEvent } from '../users/register-user';

export const ShopWebhookNames = {
  OrderPlaced: 'shop.order.placed',
  UserRegistered: 'shop.user.registered',
} as const;

/** The webhooks the shop offers its tenants, defined in code (discovered at start-up). */
@Injectable()
@WebhookDefinitionProvider()
export class ShopWebhookDefinitions implements IWebhookDefinitionProvider {
  define(context: WebhookDefinitionContext): void {
    context
      .addGroup('shop', 'Shop')
      .addWebhook({ name: ShopWebhookNames.OrderPlaced, displayName: 'Order placed' })
      .addWebhook({ name: ShopWebhookNames.UserRegistered, displayName: 'User registered' });
  }
}

/**
 * Turns the shop's domain events into webhooks, in one place: each becomes a WebhooksEvent on the same CQRS
 * bus, which the webhooks module stores and delivers to the tenant's subscribers.
 */
@EventsHandler(OrderPlacedEvent, UserRegisteredEvent)
export class ShopWebhooksPublisher implements IEventHandler<OrderPlacedEvent | UserRegisteredEvent> {
  constructor(private readonly eventBus: EventBus) {}

  handle(event: OrderPlacedEvent | UserRegisteredEvent): void {
    const webhook =
      event instanceof OrderPlacedEvent
        ? { webhookName: ShopWebhookNames.OrderPlaced, data: event.order }
        : { webhookName: ShopWebhookNames.UserRegistered, data: event.user };
    this.eventBus.publish(new WebhooksEvent({ ...webhook, tenantId: event.tenantId }));
  }
}
