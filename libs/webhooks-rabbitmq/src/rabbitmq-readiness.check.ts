import { Injectable } from '@nestjs/common';
import { IReadinessCheck, ReadinessCheck } from '@hookline/webhooks-core';
import { RabbitMqWebhooksConsumer } from './rabbitmq-webhooks-consumer';

/** The broker's part of `/health/ready`: up while the consumer is connected and consuming. */
@Injectable()
@ReadinessCheck()
export class RabbitMqReadinessCheck implements IReadinessCheck {
  readonly name = 'rabbitmq';

  constructor(private readonly consumer: RabbitMqWebhooksConsumer) {}

  async check(): Promise<void> {
    if (!this.consumer.isConsuming) throw new Error(`not consuming from RabbitMQ: ${this.consumer.lastProblem}`);
  }
}
