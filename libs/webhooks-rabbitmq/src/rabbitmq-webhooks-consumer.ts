import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel, ConsumeMessage, MessageProperties, Options, RecoveringChannelModel } from 'amqplib';
import { WebhookDomainError } from '@hookline/webhooks-core';
import { WebhookPublisher } from '@hookline/webhooks';
import { parseWebhooksEventMessage } from './webhooks-event-message';
import { ERROR_HEADER, WEBHOOKS_RABBITMQ_OPTIONS, WebhooksRabbitMqOptions } from './webhooks-rabbitmq-options';

const RECONNECT_INITIAL_DELAY_MS = 200;
const RECONNECT_MAX_DELAY_MS = 10_000;

/**
 * Consumes WebhooksEventData messages from a durable RabbitMQ queue (ABP's distributed event bus) and publishes
 * each one with WebhookPublisher, the publisher WebhooksEventHandler uses. The CQRS EventBus cannot tell its
 * caller when a handler is done, and a message must be acked only once its event is stored, so the consumer
 * awaits the publisher itself.
 *
 * - stored: ack;
 * - the message cannot be handled (bad JSON, unknown webhook, invalid field...): it is copied to the
 *   dead-letter queue with the reason in its `x-hookline-error` header (publisher-confirmed), then acked;
 * - anything else (PostgreSQL down...): after `requeueDelayMs`, nack with requeue, so nothing is lost.
 *
 * The connection is recovered by amqplib (backoff up to 10 s); every (re)connect declares the queues again and
 * resumes consuming. Messages in flight when it drops are redelivered by the broker; the message id, used as
 * the publish idempotency key, keeps a redelivered message from making a second event.
 */
@Injectable()
export class RabbitMqWebhooksConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RabbitMqWebhooksConsumer.name);
  private connection?: RecoveringChannelModel;
  /** The live channel, set once the queues are declared and the consumer runs; unset while disconnected. */
  private channel?: ConfirmChannel;
  private consumerTag?: string;
  private problem = 'not connected yet';
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly outcomes: MessageOutcomes = { published: 0, deadLettered: 0, requeued: 0 };

  constructor(
    @Inject(WEBHOOKS_RABBITMQ_OPTIONS) private readonly options: WebhooksRabbitMqOptions,
    private readonly publisher: WebhookPublisher,
  ) {}

  /** True while the queues are declared and messages are being consumed. */
  get isConsuming(): boolean {
    return this.channel !== undefined;
  }

  /** Why the consumer is not consuming (the last connection error), for health answers. */
  get lastProblem(): string {
    return this.problem;
  }

  /** The messages settled since start, by outcome: a caller that sent N messages can wait for N to be settled. */
  get settled(): Readonly<MessageOutcomes> {
    return { ...this.outcomes };
  }

  async onApplicationBootstrap(): Promise<void> {
    const broker = describeBroker(this.options.url);
    // Start-up does not wait for the broker: readiness reports it until the first connection succeeds.
    this.connection = await connect(this.options.url, {
      recovery: {
        waitForConnect: false,
        initialDelay: RECONNECT_INITIAL_DELAY_MS,
        maxDelay: RECONNECT_MAX_DELAY_MS,
        setup: (model: ChannelModel) => this.startConsuming(model),
      },
    });
    this.connection.on('connect', () =>
      this.logger.log(`Consuming queue '${this.options.queue}' on ${broker} (prefetch ${this.options.prefetch})`),
    );
    this.connection.on('connect-failed', (e: Error) => {
      this.problem = e.message;
      this.logger.warn(`Cannot consume from RabbitMQ at ${broker}: ${e.message}; retrying`);
    });
    this.connection.on('disconnect', (e: Error) => {
      this.channel = undefined;
      this.problem = e.message;
      this.logger.warn(`Lost RabbitMQ at ${broker}: ${e.message}; reconnecting`);
    });
    // Connection errors are followed by 'disconnect'; without a listener they would crash the process.
    this.connection.on('error', () => undefined);
  }

  /** Stops taking messages, lets those in hand finish (a waiting requeue is done at once), then disconnects. */
  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    const { channel, consumerTag } = this;
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    this.channel = undefined;
    await this.connection?.close();
  }

  /** Runs on every (re)connect: declares the queues (idempotent) and consumes. */
  private async startConsuming(model: ChannelModel): Promise<void> {
    const { queue, deadLetterQueue, prefetch } = this.options;
    const channel = await model.createConfirmChannel();
    // A channel can close alone (a broker-side error); reconnecting sets everything up again.
    channel.on('error', (e: Error) => this.logger.warn(`RabbitMQ channel error: ${e.message}`));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      if (!this.stopping.signal.aborted) model.close().catch(() => undefined);
    });
    await channel.assertQueue(queue, { durable: true });
    await channel.assertQueue(deadLetterQueue, { durable: true });
    await channel.prefetch(prefetch);
    const { consumerTag } = await channel.consume(queue, (message) => {
      // null: the broker cancelled the consumer (the queue was deleted); reconnecting declares it again.
      if (message === null) return void model.close().catch(() => undefined);
      const handling = this.handle(channel, message).finally(() => this.inFlight.delete(handling));
      this.inFlight.add(handling);
    });
    this.channel = channel;
    this.consumerTag = consumerTag;
  }

  private async handle(channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    try {
      const failure = await this.publish(message);
      if (failure === null) {
        channel.ack(message);
        this.outcomes.published++;
      } else if (failure instanceof WebhookDomainError) await this.deadLetter(channel, message, failure.message);
      else await this.requeueLater(channel, message, failure);
    } catch (e) {
      // The channel closed under us: the broker redelivers every unacked message.
      this.logger.warn(`Message ${describe(message)} left unsettled (${(e as Error).message}); the broker will redeliver it`);
    }
  }

  /** Null once the event is stored; otherwise why not. */
  private async publish(message: ConsumeMessage): Promise<Error | null> {
    try {
      const { content, properties } = message;
      await this.publisher.publish(parseWebhooksEventMessage({ content, messageId: properties.messageId }));
      return null;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  private async deadLetter(channel: ConfirmChannel, message: ConsumeMessage, reason: string): Promise<void> {
    this.logger.warn(`Message ${describe(message)} dead-lettered to '${this.options.deadLetterQueue}': ${reason}`);
    try {
      await new Promise<void>((resolve, reject) =>
        channel.sendToQueue(
          this.options.deadLetterQueue,
          message.content,
          deadLetterProperties(message.properties, reason),
          (e) => (e ? reject(e instanceof Error ? e : new Error(String(e))) : resolve()),
        ),
      );
    } catch (e) {
      return this.requeueLater(channel, message, e as Error);
    }
    channel.ack(message);
    this.outcomes.deadLettered++;
  }

  private async requeueLater(channel: ConfirmChannel, message: ConsumeMessage, error: Error): Promise<void> {
    this.logger.warn(
      `Message ${describe(message)} not handled (${error.message}); requeued in ${this.options.requeueDelayMs} ms`,
    );
    await sleep(this.options.requeueDelayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    channel.nack(message, false, true);
    this.outcomes.requeued++;
  }
}

/** How the messages a consumer took were settled: acked once published or dead-lettered, or given back to the queue. */
export interface MessageOutcomes {
  /** Published (a redelivered copy among them, answered by its first publish). */
  published: number;
  deadLettered: number;
  requeued: number;
}

/** The original properties and headers, plus the reason; minus what would make the broker refuse or drop the copy. */
function deadLetterProperties(properties: MessageProperties, reason: string): Options.Publish {
  const { userId: _userId, expiration: _expiration, headers, ...kept } = properties;
  const defined = Object.fromEntries(Object.entries(kept).filter(([, value]) => value !== undefined && value !== null));
  return { ...defined, headers: { ...headers, [ERROR_HEADER]: reason }, persistent: true };
}

const describe = (message: ConsumeMessage) =>
  `${message.properties.messageId ?? '(no message id)'}${message.fields.redelivered ? ' (redelivered)' : ''}`;

/** host:port/vhost of the broker, never its credentials. */
function describeBroker(url: string): string {
  try {
    const { host, pathname } = new URL(url);
    return `${host}${pathname === '/' ? '' : pathname}`;
  } catch {
    return 'the configured broker';
  }
}
