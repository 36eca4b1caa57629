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

/**
 * The webhooks the shop offers its tenants, defined in code (discovered at start-up), each with the JSON Schema
 * of its data: publishing refuses data that breaks it.
 */
@Injectable()
@WebhookDefinitionProvider()
export class ShopWebhookDefinitions implements IWebhookDefinitionProvider {
  define(context: WebhookDefinitionContext): void {
    context
      .addGroup('shop', 'Shop')
      .addWebhook({
        name: ShopWebhookNames.OrderPlaced,
        displayName: 'Order placed',
        schema: {
          type: 'object',
          required: ['id', 'customerEmail', 'total', 'placedAt'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            customerEmail: { type: 'string', format: 'email' },
            total: { type: 'number', exclusiveMinimum: 0 },
            placedAt: { type: 'string', format: 'date-time' },
          },
        },
        example: {
          id: '0f8fad5b-d9cb-469f-a165-70867728950e',
          customerEmail: 'ann@example.com',
          total: 42.5,
          placedAt: '2026-11-23T12:00:00.000Z',
        },
      })
      .addWebhook({
        name: ShopWebhookNames.UserRegistered,
        displayName: 'User registered',
        schema: {
          type: 'object',
          required: ['id', 'email', 'name'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            email: { type: 'string', format: 'email' },
            name: { type: 'string' },
          },
        },
        example: { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', email: 'bob@example.com', name: 'Bob' },
      });
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
