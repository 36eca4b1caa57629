import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WebhookDelivery, WebhookEvent, WebhookEventStore } from '@hookline/webhooks';
import { WebhookDeliveryEntity, WebhookEventEntity } from '../entities';

/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement (9 per delivery). */
const DELIVERY_INSERT_CHUNK = 1000;

@Injectable()
export class TypeOrmWebhookEventStore extends WebhookEventStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async saveWithDeliveries(event: WebhookEvent, deliveries: WebhookDelivery[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(WebhookEventEntity, event);
      for (let i = 0; i < deliveries.length; i += DELIVERY_INSERT_CHUNK) {
        await manager.insert(WebhookDeliveryEntity, deliveries.slice(i, i + DELIVERY_INSERT_CHUNK));
      }
    });
  }
}
