import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { HooklineMetrics } from './hookline-metrics';

/** `GET /metrics` in Prometheus text format, from this application's own registry. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController extends PrometheusController {
  constructor(private readonly metrics: HooklineMetrics) {
    super();
  }

  @Get()
  override async index(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.header('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
