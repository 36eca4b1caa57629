export interface WebhooksRabbitMqOptions {
  /** amqp:// or amqps:// URL of the broker (credentials included). */
  url: string;
  /** Durable queue of WebhooksEventData messages; declared at start-up. */
  queue: string;
  /** Durable queue of the messages that cannot be handled, each with its reason in `x-hookline-error`. */
  deadLetterQueue: string;
  /** Messages handled at once (AMQP prefetch). */
  prefetch: number;
  /** How long a message waits before it goes back to the queue after an infrastructure failure. */
  requeueDelayMs: number;
}

export const WEBHOOKS_RABBITMQ_OPTIONS = Symbol('WEBHOOKS_RABBITMQ_OPTIONS');

/** The dead-letter header that carries why a message could not be handled. */
export const ERROR_HEADER = 'x-hookline-error';

/** The queue a dead-lettered message is put on, unless configured otherwise. */
export const deadLetterQueueOf = (queue: string) => `${queue}.dead-letter`;
