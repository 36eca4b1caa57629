import { BeforeApplicationShutdown, Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { ReadinessChecks } from './readiness-checks';

/** Each dependency must answer within this, so a probe never hangs on one that went away. */
const CHECK_TIMEOUT_MS = 2_000;

/** Kubernetes-style probes, served by every role (a worker-only process too). No authentication. */
@ApiTags('operations')
@Controller('health')
export class HealthController implements BeforeApplicationShutdown {
  private stopping = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessChecks,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up (its dependencies are not checked).' })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Every dependency answers (PostgreSQL, Redis, and any contributed check); 503 otherwise.' })
  @HealthCheck()
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    const checks = this.readiness.all().map(
      (dependency) => () =>
        this.indicators
          .check(dependency.name)
          .attempt(({ signal }) => dependency.check(signal))
          .withTimeout(CHECK_TIMEOUT_MS),
    );
    if (this.stopping)
      checks.push(() => this.indicators.check('process').attempt(() => Promise.reject(new Error('shutting down'))));
    try {
      return await this.health.check(checks);
    } catch (e) {
      // Answered as terminus shapes it, not through the API's error filter.
      if (!(e instanceof ServiceUnavailableException)) throw e;
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return e.getResponse() as HealthCheckResult;
    }
  }

  /** From SIGTERM on, report not ready so a load balancer stops sending requests while work drains. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }
}
