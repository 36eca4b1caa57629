import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WebhookDelivery, WebhookEvent, WebhookEventStore } from '@hookline/webhooks';
import { WebhookDeliveryEntity, WebhookEventEntity } from '../entities';

@Injectable()
export class TypeOrmWebhookEventStore extends WebhookEventStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async saveWithDeliveries(event: WebhookEvent, deliveries: WebhookDelivery[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(WebhookEventEntity, event);
      if (deliveries.length > 0) await manager.insert(WebhookDeliveryEntity, deliveries);
    });
  }
}
