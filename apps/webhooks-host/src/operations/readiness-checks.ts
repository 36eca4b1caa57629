import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IReadinessCheck, ReadinessCheck } from '@hookline/webhooks-core';
import { DeliveryDispatch } from '@hookline/webhooks';

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

/** The scheduler (Redis) answers. */
@Injectable()
@ReadinessCheck()
export class RedisReadinessCheck implements IReadinessCheck {
  readonly name = 'redis';

  constructor(private readonly dispatch: DeliveryDispatch) {}

  async check(): Promise<void> {
    if (!(await this.dispatch.ping())) throw new Error('the delivery scheduler does not answer');
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
