import {
  CanActivate,
  createParamDecorator,
  DynamicModule,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  Module,
  OnModuleInit,
  UnauthorizedException,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { DedupeStore, MemoryDedupeStore, WebhookDeduplicator } from '../dedupe';
import { HooklineWebhook, VerifyWebhookOptions, WebhookVerificationError, verifyWebhook } from '../verify';

export interface WebhookReceiverOptions extends VerifyWebhookOptions {
  /** Where handled `webhook-id`s are kept (default: in memory); false: every delivery is handled. */
  dedupe?: DedupeStore | false;
  /** How long a handled id is remembered. */
  dedupeTtlSeconds?: number;
}

export const WEBHOOK_RECEIVER_OPTIONS = Symbol('WEBHOOK_RECEIVER_OPTIONS');
const ON_WEBHOOK = 'hookline:on-webhook';

interface RequestWithWebhook {
  rawBody?: Buffer;
  headers: Record<string, string | string[] | undefined>;
  webhook?: HooklineWebhook;
}

/**
 * Verifies the delivery on the request's raw body and puts it on `request.webhook`; 401 when it does not
 * verify. Needs the raw body: create the application with `NestFactory.create(AppModule, { rawBody: true })`.
 */
@Injectable()
export class WebhookGuard implements CanActivate {
  constructor(@Inject(WEBHOOK_RECEIVER_OPTIONS) private readonly options: WebhookReceiverOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RequestWithWebhook>();
    if (!Buffer.isBuffer(request.rawBody)) {
      throw new Error('WebhookGuard needs the raw body: create the app with NestFactory.create(AppModule, { rawBody: true })');
    }
    try {
      request.webhook = verifyWebhook(request.rawBody, request.headers, this.options);
    } catch (e) {
      if (e instanceof WebhookVerificationError) throw new UnauthorizedException(e.reason);
      throw e;
    }
    return true;
  }
}

/** The delivery WebhookGuard verified, as a handler parameter. */
export const ReceivedWebhook = createParamDecorator(
  (_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<RequestWithWebhook>().webhook,
);

/** Marks a provider's method as the handler of these events (`*`: every event); WebhookRouter calls it. */
export const OnWebhook =
  (...names: string[]): MethodDecorator =>
  (target, key) => {
    Reflect.defineMetadata(ON_WEBHOOK, names, target, key);
  };

export interface DispatchResult {
  /** Handlers that ran (0 for a duplicate, or an event no handler takes). */
  handled: number;
  /** The `webhook-id` had been handled already, so nothing ran. */
  duplicate: boolean;
}

/**
 * Calls the `@OnWebhook` methods of the application's providers for a verified delivery, once per
 * `webhook-id` (see WebhookDeduplicator): a handler that throws lets the retry run them all again.
 */
@Injectable()
export class WebhookRouter implements OnModuleInit {
  private readonly logger = new Logger(WebhookRouter.name);
  private readonly handlers = new Map<string, ((webhook: HooklineWebhook) => unknown)[]>();
  private readonly deduplicator: WebhookDeduplicator | null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(WEBHOOK_RECEIVER_OPTIONS) options: WebhookReceiverOptions,
  ) {
    this.deduplicator =
      options.dedupe === false
        ? null
        : new WebhookDeduplicator(options.dedupe ?? new MemoryDedupeStore(), options.dedupeTtlSeconds);
  }

  onModuleInit(): void {
    for (const { instance } of this.discovery.getProviders()) {
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const names: string[] | undefined = Reflect.getMetadata(ON_WEBHOOK, prototype, method);
        for (const name of names ?? []) {
          const handler = (webhook: HooklineWebhook) => (instance as Record<string, Function>)[method](webhook);
          this.handlers.set(name, [...(this.handlers.get(name) ?? []), handler]);
        }
      }
    }
    this.logger.log(`${[...this.handlers.values()].flat().length} webhook handlers`);
  }

  async dispatch(webhook: HooklineWebhook): Promise<DispatchResult> {
    const handlers = [...(this.handlers.get(webhook.webhookEvent) ?? []), ...(this.handlers.get('*') ?? [])];
    const run = async () => {
      for (const handler of handlers) await handler(webhook);
    };
    if (this.deduplicator && webhook.webhookId) {
      const ran = await this.deduplicator.once(webhook.webhookId, run);
      return { handled: ran ? handlers.length : 0, duplicate: !ran };
    }
    await run();
    return { handled: handlers.length, duplicate: false };
  }
}

/**
 * The receiver toolkit for a NestJS application: WebhookGuard, WebhookRouter and `@OnWebhook` handlers.
 * Import it once with the subscription's secrets (or public key).
 */
@Module({})
export class WebhookReceiverModule {
  static forRoot(options: WebhookReceiverOptions): DynamicModule {
    return {
      module: WebhookReceiverModule,
      imports: [DiscoveryModule],
      providers: [{ provide: WEBHOOK_RECEIVER_OPTIONS, useValue: options }, WebhookGuard, WebhookRouter],
      exports: [WEBHOOK_RECEIVER_OPTIONS, WebhookGuard, WebhookRouter],
    };
  }
}
