import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IReadinessCheck, ReadinessCheck } from '@hookline/webhooks-core';
import { WebhookDeliveryQueue } from '@hookline/webhooks';

/** PostgreSQL answers a trivial query. */
@Injectable()
@ReadinessCheck()
export class PostgresReadinessCheck implements IReadinessCheck {
  readonly name = 'postgres';

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async check(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

/** The queue's Redis connection is up and answers PING. */
@Injectable()
@ReadinessCheck()
export class RedisReadinessCheck implements IReadinessCheck {
  readonly name = 'redis';

  constructor(private readonly queue: WebhookDeliveryQueue) {}

  async check(): Promise<void> {
    const client = this.queue.queue.client;
    // While reconnecting, ioredis would hold a PING until Redis is back: report the state instead.
    if (client.status !== 'ready') throw new Error(`connection is ${client.status}`);
    await client.ping();
  }
}

/** Every `@ReadinessCheck()` of the application: the two above and any another module contributes. */
@Injectable()
export class ReadinessChecks {
  private checks?: IReadinessCheck[];

  constructor(private readonly discovery: DiscoveryService) {}

  all(): IReadinessCheck[] {
    this.checks ??= this.discovery
      .getProviders({ metadataKey: ReadinessCheck.KEY })
      .map((wrapper) => wrapper.instance as IReadinessCheck | undefined)
      .filter((instance): instance is IReadinessCheck => !!instance);
    return this.checks;
  }
}
