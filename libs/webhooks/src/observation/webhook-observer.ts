import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { DeactivationReasonKind } from '../domain/delivery-lifecycle';
import type { DeliveryState } from '../domain/webhook-model';

/** An event was stored with its deliveries (and they were handed to the queue). */
export interface EventPublishedObservation {
  webhookName: string;
  tenantId: string | null;
  webhookEventId: string;
  deliveryCount: number;
}

/** One attempt was sent and recorded. */
export interface AttemptRecordedObservation {
  tenantId: string | null;
  webhookEventId: string;
  subscriptionId: string;
  deliveryId: string;
  attempt: number;
  succeeded: boolean;
  /** Null when no answer came (timeout, connection error, refused address). */
  statusCode: number | null;
  durationMs: number;
  /** Where the attempt left its delivery: `pending` when it will be retried. */
  deliveryState: DeliveryState;
  eventCreationTime: Date;
  /** When the request was about to go out. */
  sentAt: Date;
}

/** A worker found a pending delivery whose subscription is inactive or gone, and abandoned it. */
export interface DeliveryAbandonedObservation {
  tenantId: string | null;
  webhookEventId: string;
  subscriptionId: string;
  deliveryId: string;
}

export interface SubscriptionDeactivatedObservation {
  tenantId: string | null;
  subscriptionId: string;
  reasonKind: DeactivationReasonKind;
  reason: string;
}

/** A retention pass over the delivery history's time partitions ended. */
export interface HistoryRetentionPassObservation {
  /** completed; skipped: another process was running one; failed: it stopped on an error. */
  outcome: 'completed' | 'skipped' | 'failed';
  /** Expired day ranges dropped (each: its events, deliveries and attempts). */
  droppedPartitions: number;
  /** Expired ranges kept because a delivery in them is still pending. */
  keptPendingPartitions: number;
  /** Expired ranges whose tables stayed in use past the lock timeout: tried again on the next pass. */
  keptBusyPartitions: number;
  /** Days past the response retention whose attempts' response bodies and headers were erased. */
  responsesErasedPartitions: number;
  durationMs: number;
}

/**
 * Watches what the publisher and the delivery service do (metrics, audit, tracing), without being part of
 * it. Implement any of the methods, mark the class with `@WebhookObserver()` and register it as a provider
 * in any module: it is discovered at start-up. Methods are called synchronously on the delivery path, so keep
 * them cheap; an observer that throws is logged and never fails a delivery.
 */
export interface IWebhookObserver {
  eventPublished?(observation: EventPublishedObservation): void;
  attemptRecorded?(observation: AttemptRecordedObservation): void;
  deliveryAbandoned?(observation: DeliveryAbandonedObservation): void;
  subscriptionDeactivated?(observation: SubscriptionDeactivatedObservation): void;
  historyRetentionPass?(observation: HistoryRetentionPassObservation): void;
}

export const WebhookObserver = DiscoveryService.createDecorator<void>();

type ObservationOf<K extends keyof IWebhookObserver> = Parameters<NonNullable<IWebhookObserver[K]>>[0];

/** Hands each observation to every discovered `@WebhookObserver()`. */
@Injectable()
export class WebhookObservers {
  private readonly logger = new Logger(WebhookObservers.name);
  private observers?: IWebhookObserver[];

  constructor(private readonly discovery: DiscoveryService) {}

  notify<K extends keyof IWebhookObserver>(hook: K, observation: ObservationOf<K>): void {
    // Discovered on first use: by then every provider of the application has been instantiated.
    this.observers ??= this.discovery
      .getProviders({ metadataKey: WebhookObserver.KEY })
      .map((wrapper) => wrapper.instance as IWebhookObserver | undefined)
      .filter((instance): instance is IWebhookObserver => !!instance);
    for (const observer of this.observers) {
      try {
        (observer[hook] as ((o: ObservationOf<K>) => void) | undefined)?.call(observer, observation);
      } catch (e) {
        this.logger.warn(`Observer ${observer.constructor.name}.${hook} failed: ${(e as Error).message}`);
      }
    }
  }
}
