import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EventsHandler, IEventHandler, UnhandledExceptionBus } from '@nestjs/cqrs';
import { Subscription } from 'rxjs';
import { WebhookPublisher } from './webhook-publisher';
import { WebhooksEvent } from './webhooks.event';

/**
 * Receives WebhooksEvent from the CQRS EventBus and publishes it. The bus does not report a handler's
 * failure to the code that published the event, so failures are logged here with what was lost; callers
 * that must know (the HTTP API) call WebhookPublisher directly.
 */
@EventsHandler(WebhooksEvent)
export class WebhooksEventHandler implements IEventHandler<WebhooksEvent>, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WebhooksEventHandler.name);
  private failures?: Subscription;

  constructor(
    private readonly publisher: WebhookPublisher,
    private readonly unhandledExceptions: UnhandledExceptionBus,
  ) {}

  async handle(event: WebhooksEvent): Promise<void> {
    await this.publisher.publish(event.input);
  }

  onModuleInit(): void {
    this.failures = this.unhandledExceptions
      .pipe(UnhandledExceptionBus.ofType(WebhooksEvent))
      .subscribe(({ cause, exception }) => {
        const { webhookName, tenantId } = (cause as WebhooksEvent).input;
        this.logger.error(
          `WebhooksEvent '${webhookName}' for tenant ${tenantId ?? 'host'} was not published: ${(exception as Error)?.message ?? exception}`,
        );
      });
  }

  onModuleDestroy(): void {
    this.failures?.unsubscribe();
  }
}
