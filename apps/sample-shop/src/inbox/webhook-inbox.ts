import { Controller, Get, HttpCode, Injectable, Post, UseGuards } from '@nestjs/common';
import type { HooklineWebhook } from '@hookline/webhooks-receiver';
import { OnWebhook, ReceivedWebhook, WebhookGuard, WebhookRouter } from '@hookline/webhooks-receiver/nest';
import type { Order } from '../orders/place-order';
import type { User } from '../users/register-user';
import { ShopWebhookNames } from '../webhooks/shop-webhooks';

/** What the inbox's handlers made of the webhooks they received. */
export interface InboxEntry {
  webhookId: string | null;
  webhookEvent: string;
  summary: string;
}

/**
 * The receiving side, as a tenant's integration would write it with the receiver toolkit: handlers per event,
 * called once per delivery (the toolkit deduplicates on webhook-id).
 */
@Injectable()
export class ShopWebhookHandlers {
  readonly received: InboxEntry[] = [];

  @OnWebhook(ShopWebhookNames.OrderPlaced)
  orderPlaced(webhook: HooklineWebhook<string, Order>): void {
    this.record(webhook, `order ${webhook.data.id} for ${webhook.data.customerEmail}: ${webhook.data.total}`);
  }

  @OnWebhook(ShopWebhookNames.UserRegistered)
  userRegistered(webhook: HooklineWebhook<string, User>): void {
    this.record(webhook, `user ${webhook.data.email}`);
  }

  private record(webhook: HooklineWebhook, summary: string): void {
    this.received.push({ webhookId: webhook.webhookId, webhookEvent: webhook.webhookEvent, summary });
  }
}

/** A webhook endpoint: WebhookGuard verifies the raw body (the app is created with `rawBody: true`). */
@Controller('webhook-inbox')
export class WebhookInboxController {
  constructor(
    private readonly router: WebhookRouter,
    private readonly handlers: ShopWebhookHandlers,
  ) {}

  @Post()
  @HttpCode(204)
  @UseGuards(WebhookGuard)
  async receive(@ReceivedWebhook() webhook: HooklineWebhook): Promise<void> {
    await this.router.dispatch(webhook);
  }

  @Get()
  list(): InboxEntry[] {
    return this.handlers.received;
  }
}
