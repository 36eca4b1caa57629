import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule, BullBoardModuleOptions } from '@bull-board/nestjs';
import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { WEBHOOKS_QUEUE } from '@hookline/webhooks';
import { adminCredentialMiddleware } from './admin-credential.middleware';
import { HealthController } from './health.controller';
import { HooklineMetrics } from './hookline-metrics';
import { MetricsController } from './metrics.controller';
import { QUEUE_DASHBOARD_PATH, QueueController } from './queue.controller';
import { PostgresReadinessCheck, ReadinessChecks, RedisReadinessCheck } from './readiness-checks';

export interface OperationsModuleOptions {
  /** The host admin key; null disables the queue dashboard. */
  adminApiKey: string | null;
  /** The application's WebhooksModule and stores module: what the metrics and readiness checks read. */
  webhooks: DynamicModule;
  stores: DynamicModule;
  /** The application's WebhooksManagementModule: the credentials the queue route checks. */
  management: DynamicModule;
}

/** Holds the metrics, for the Prometheus module's controller to read. */
@Module({})
export class HooklineMetricsModule {
  static forRoot({ webhooks, stores }: Pick<OperationsModuleOptions, 'webhooks' | 'stores'>): DynamicModule {
    return {
      module: HooklineMetricsModule,
      imports: [webhooks, stores],
      providers: [HooklineMetrics],
      exports: [HooklineMetrics],
    };
  }
}

/** Path of the Bull Board queue dashboard. */
export const QUEUE_DASHBOARD_ROUTE = '/admin/queues';

/**
 * What an operator needs from every process, whatever its role: `/metrics` (Prometheus), `/health/live` and
 * `/health/ready` (terminus), and the Bull Board dashboard at /admin/queues behind the host admin key.
 */
@Module({})
export class OperationsModule {
  static forRoot({ adminApiKey, webhooks, stores, management }: OperationsModuleOptions): DynamicModule {
    const metrics = HooklineMetricsModule.forRoot({ webhooks, stores });
    const dashboard = adminApiKey
      ? [
          BullBoardModule.forRoot({
            route: QUEUE_DASHBOARD_ROUTE,
            // @bull-board/express 9.10.1 carries its own copy of @bull-board/api, whose types differ only nominally.
            adapter: ExpressAdapter as unknown as BullBoardModuleOptions['adapter'],
            middleware: adminCredentialMiddleware(adminApiKey),
          }),
          BullBoardModule.forFeature({ name: WEBHOOKS_QUEUE, adapter: BullAdapter }),
        ]
      : [];
    return {
      module: OperationsModule,
      imports: [
        webhooks,
        management,
        DiscoveryModule,
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        // Our controller serves the application's own registry, so prom-client's global default metrics stay off.
        PrometheusModule.registerAsync({
          imports: [metrics],
          controller: MetricsController,
          useFactory: () => ({ defaultMetrics: { enabled: false } }),
        }),
        metrics,
        ...dashboard,
      ],
      controllers: [HealthController, QueueController],
      providers: [
        PostgresReadinessCheck,
        RedisReadinessCheck,
        ReadinessChecks,
        { provide: QUEUE_DASHBOARD_PATH, useValue: adminApiKey ? QUEUE_DASHBOARD_ROUTE : null },
      ],
    };
  }
}
