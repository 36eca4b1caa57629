import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  REDACTED_HEADER_VALUE,
  SignatureScheme,
  WEBHOOKS_OPTIONS,
  WebhookConflictError,
  WebhookDefinition,
  WebhookDefinitionManager,
  WebhookNotFoundError,
  WebhookValidationError,
  PayloadFilter,
  WebhooksOptions,
  assertValidCustomHeaders,
  compilePayloadFilter,
  ed25519PrivateKey,
  ed25519PublicKey,
  generateSigningSecret,
  privateAddressMessage,
  privateLiteralHost,
} from '@hookline/webhooks-core';
import {
  DeliveryDispatch,
  PagedResult,
  SaveSubscriptionOutcome,
  SubscriptionQuery,
  WebhookSubscription,
  WebhookSubscriptionStore,
  breakerAt,
  previousSecretInForce,
} from '@hookline/webhooks';

/** What a subscription's owner chooses; the rest (failures, activity, stamps) the service keeps. */
export interface WebhookSubscriptionSettings {
  webhookUri: string;
  webhooks: string[];
  /** Only events whose data passes it are delivered; omit (or `{}`) for every event. */
  filter?: PayloadFilter | null;
  headers?: Record<string, string>;
  description?: string;
  timeoutDuration?: number;
  maxSendAttemptCount?: number;
  /** Sends in flight at once to this endpoint, all workers together; default from the options. */
  maxConcurrentSends?: number;
  /** Sends per second to this endpoint, all workers together; default: no limit. */
  rateLimitPerSecond?: number;
}

export interface CreateWebhookSubscriptionInput extends WebhookSubscriptionSettings {
  /** Default hmac-sha256. It cannot change later: a subscription signed otherwise is another subscription. */
  signatureScheme?: SignatureScheme;
  /** Omit to have one generated; with ed25519, a `whsk_` signing key. */
  secret?: string;
  isActive?: boolean;
}

export interface UpdateWebhookSubscriptionInput extends WebhookSubscriptionSettings {
  /** The stamp of the state the change was made from; a newer state makes the update a conflict. */
  concurrencyStamp: string;
}

export interface RotateWebhookSecretInput {
  /** Omit to have one generated; for an ed25519 subscription, a `whsk_` signing key. */
  secret?: string;
  /** How long the old secret keeps signing beside the new one; default from the options. 0: not at all. */
  overlapSeconds?: number;
}

/** The secrets that sign a subscription's deliveries now. */
export interface WebhookSubscriptionSecrets {
  secret: string;
  /** The secret a rotation replaced, while it still signs. */
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  /** What receivers verify an ed25519 subscription's signatures with (`whpk_…`); null for hmac-sha256. */
  publicKey: string | null;
  /** The public key of the replaced signing key, while it still signs. */
  previousPublicKey: string | null;
}

/** A group of definitions and those of its webhooks the tenant may subscribe to. */
export interface AvailableWebhookGroup {
  name: string;
  displayName: string;
  webhooks: Pick<WebhookDefinition, 'name' | 'displayName' | 'description' | 'requiredFeatures'>[];
}

/** How a subscription's endpoint is being served right now (the scheduler's view). */
export interface EndpointHealth {
  subscriptionId: string;
  isActive: boolean;
  /** open: nothing is sent until `until`, then one probe (half-open); its answer closes or reopens it. */
  breaker: { state: 'closed' | 'open' | 'half-open'; since: Date | null; until: Date | null };
  /** Failure share of the attempts in the breaker's window (null: none), and how many those were. */
  recentFailureRate: number | null;
  recentAttempts: number;
  inFlight: number;
  /** Deliveries due and waiting for this endpoint. */
  backlog: number;
  /** The receiver asked (429/503 with Retry-After) to be left alone until then. */
  pausedUntil: Date | null;
  limits: { maxConcurrentSends: number; rateLimitPerSecond: number | null };
}

/** The reason a subscription deactivated by hand shows. */
export const MANUAL_DEACTIVATION_REASON = 'manual';

/** Subscriptions of the caller's tenant (LINGYUN's WebhookSubscriptionAppService). */
@Injectable()
export class WebhookSubscriptionAppService {
  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: WebhooksOptions,
    private readonly definitions: WebhookDefinitionManager,
    private readonly subscriptions: WebhookSubscriptionStore,
    private readonly dispatch: DeliveryDispatch,
  ) {}

  async create(tenantId: string | null, input: CreateWebhookSubscriptionInput): Promise<WebhookSubscription> {
    const settings = await this.checkSettings(tenantId, input);
    const signatureScheme = input.signatureScheme ?? 'hmac-sha256';
    const subscription: WebhookSubscription = {
      id: randomUUID(),
      tenantId,
      ...settings,
      signatureScheme,
      secret: signingSecret(signatureScheme, input.secret),
      previousSecret: null,
      previousSecretExpiresAt: null,
      isActive: input.isActive ?? true,
      consecutiveFailureCount: 0,
      deactivatedAt: null,
      deactivationReason: null,
      creationTime: new Date(),
      concurrencyStamp: randomUUID(),
    };
    this.assertSaved(await this.subscriptions.save(subscription), subscription);
    await this.applyLimits(subscription);
    return subscription;
  }

  async get(tenantId: string | null, id: string): Promise<WebhookSubscription> {
    const subscription = await this.subscriptions.findById(tenantId, id);
    if (!subscription) throw new WebhookNotFoundError('Webhook subscription', id);
    return subscription;
  }

  async health(tenantId: string | null, id: string): Promise<EndpointHealth> {
    const subscription = await this.get(tenantId, id);
    const status = await this.dispatch.endpointStatus(id);
    const breaker = breakerAt(status.breaker, Date.now());
    return {
      subscriptionId: id,
      isActive: subscription.isActive,
      breaker: {
        state: breaker.kind,
        since: breaker.kind === 'closed' ? null : new Date(breaker.since),
        until: breaker.kind === 'open' ? new Date(breaker.until) : null,
      },
      recentFailureRate: status.recentFailureRate,
      recentAttempts: status.recentAttempts,
      inFlight: status.inFlight,
      backlog: status.backlog,
      pausedUntil: status.pausedUntil,
      limits: { maxConcurrentSends: status.concurrency, rateLimitPerSecond: status.ratePerSecond },
    };
  }

  list(query: SubscriptionQuery): Promise<PagedResult<WebhookSubscription>> {
    return this.subscriptions.list(query);
  }

  /** Replaces the settings (omitted optional ones go back to their defaults) when the stamp is current. */
  async update(tenantId: string | null, id: string, input: UpdateWebhookSubscriptionInput): Promise<WebhookSubscription> {
    const current = await this.get(tenantId, id);
    const settings = await this.checkSettings(tenantId, {
      ...input,
      headers: keepRedactedValues(input.headers ?? {}, current.headers),
    });
    const updated: WebhookSubscription = { ...current, ...settings, concurrencyStamp: randomUUID() };
    const outcome = await this.subscriptions.save(updated, input.concurrencyStamp);
    if (outcome.kind === 'notFound') throw new WebhookNotFoundError('Webhook subscription', id);
    if (outcome.kind === 'stale') {
      throw new WebhookConflictError(
        `Webhook subscription '${id}' was changed after concurrencyStamp '${input.concurrencyStamp}' was read: get it again and reapply the change`,
        [{ field: 'concurrencyStamp', message: 'is not the current stamp' }],
      );
    }
    this.assertSaved(outcome, updated);
    await this.applyLimits(updated);
    return (await this.subscriptions.findById(tenantId, id)) ?? updated;
  }

  async delete(tenantId: string | null, id: string): Promise<void> {
    if ((await this.deleteAndForget(tenantId, [id])) === 0) throw new WebhookNotFoundError('Webhook subscription', id);
  }

  /** Ids of other tenants (or unknown ones) are skipped, not reported: the count says how many went. */
  async deleteMany(tenantId: string | null, ids: readonly string[]): Promise<{ deletedCount: number }> {
    return { deletedCount: await this.deleteAndForget(tenantId, [...new Set(ids)]) };
  }

  /** Deletes the tenant's subscriptions among `ids` and what the scheduler keeps of their endpoints; how many went. */
  private async deleteAndForget(tenantId: string | null, ids: readonly string[]): Promise<number> {
    const deleted = await this.subscriptions.delete(tenantId, ids);
    // Should Redis be away, only a few small keys stay behind; the deletion stands.
    if (deleted.length > 0) await this.dispatch.forget(deleted).catch(() => undefined);
    return deleted.length;
  }

  async activate(tenantId: string | null, id: string): Promise<WebhookSubscription> {
    const subscription = await this.subscriptions.activate(tenantId, id);
    if (!subscription) throw new WebhookNotFoundError('Webhook subscription', id);
    // A clean slate in the scheduler too: no pause, no open breaker.
    await this.dispatch.resume(id, tenantId).catch(() => undefined);
    return subscription;
  }

  /** Stops sending (its pending deliveries are abandoned); an already inactive one keeps its first reason. */
  async deactivate(tenantId: string | null, id: string): Promise<WebhookSubscription> {
    await this.get(tenantId, id);
    await this.subscriptions.deactivate(id, MANUAL_DEACTIVATION_REASON, new Date());
    return this.get(tenantId, id);
  }

  async revealSecret(tenantId: string | null, id: string): Promise<WebhookSubscriptionSecrets> {
    return currentSecrets(await this.get(tenantId, id), new Date());
  }

  /** The new secret signs at once; the old one beside it until the overlap ends. */
  async rotateSecret(tenantId: string | null, id: string, input: RotateWebhookSecretInput): Promise<WebhookSubscriptionSecrets> {
    const current = await this.get(tenantId, id);
    const secret = signingSecret(current.signatureScheme, input.secret);
    if (secret === current.secret) throw new WebhookValidationError('secret', 'must differ from the current secret');
    const overlapSeconds = input.overlapSeconds ?? this.options.secretRotationOverlapSeconds;
    const now = new Date();
    const expiresAt = overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null;
    const rotated = await this.subscriptions.rotateSecret(tenantId, id, secret, expiresAt);
    if (!rotated) throw new WebhookNotFoundError('Webhook subscription', id);
    return currentSecrets(rotated, now);
  }

  /** The definition groups with the webhooks the tenant's features allow; groups left empty are left out. */
  async availableGroups(tenantId: string | null): Promise<AvailableWebhookGroup[]> {
    return (await this.definitions.getAvailableGroups(tenantId)).map((g) => ({
      name: g.name,
      displayName: g.displayName,
      webhooks: g.webhooks.map(({ name, displayName, description, requiredFeatures }) => ({
        name,
        displayName,
        description,
        requiredFeatures,
      })),
    }));
  }

  /** The rules of create and update: no literal private address, subscribable names, a valid filter and headers. */
  private async checkSettings(tenantId: string | null, input: WebhookSubscriptionSettings) {
    // Names are checked when they are resolved, at send time; a literal address can be refused now.
    const literal = this.options.allowPrivateNetworks ? null : privateLiteralHost(input.webhookUri);
    if (literal) throw new WebhookValidationError('webhookUri', privateAddressMessage('its host', literal));
    const webhooks = [...new Set(input.webhooks)];
    await this.definitions.assertSubscribable(tenantId, webhooks);
    const headers = input.headers ?? {};
    assertValidCustomHeaders(headers, 'headers');
    const filter = input.filter ?? null;
    if (filter !== null) compilePayloadFilter(filter, 'filter');
    return {
      webhookUri: input.webhookUri,
      webhooks,
      filter: filter !== null && Object.keys(filter).length > 0 ? filter : null,
      headers,
      description: input.description ?? null,
      timeoutDuration: input.timeoutDuration ?? null,
      maxSendAttemptCount: input.maxSendAttemptCount ?? null,
      maxConcurrentSends: input.maxConcurrentSends ?? null,
      rateLimitPerSecond: input.rateLimitPerSecond ?? null,
    };
  }

  /**
   * The scheduler learns the endpoint's limits now, so they hold from its next send; should Redis be away, each
   * send's report brings them later.
   */
  private async applyLimits(s: WebhookSubscription): Promise<void> {
    await this.dispatch
      .configure(s.id, { concurrency: s.maxConcurrentSends, ratePerSecond: s.rateLimitPerSecond })
      .catch(() => undefined);
  }

  private assertSaved(outcome: SaveSubscriptionOutcome, subscription: WebhookSubscription): void {
    if (outcome.kind !== 'duplicate') return;
    const { existing } = outcome;
    const shared = subscription.webhooks.filter((w) => existing.webhooks.includes(w));
    throw new WebhookConflictError(
      `Webhook subscription '${existing.id}' of this tenant already sends ${shared.map((w) => `'${w}'`).join(', ')} to this webhookUri`,
      [{ field: 'webhookUri', message: `duplicates subscription ${existing.id}` }],
    );
  }
}

function currentSecrets(s: WebhookSubscription, now: Date): WebhookSubscriptionSecrets {
  return { secret: s.secret, previousSecret: previousSecretInForce(s, now), ...subscriptionSigningKeys(s, now) };
}

/**
 * What every subscription answer shows of its signing keys (nothing secret): an ed25519 subscription's public
 * keys, and until when the key a rotation replaced still signs (null once it stopped).
 */
export function subscriptionSigningKeys(
  s: WebhookSubscription,
  now: Date,
): Pick<WebhookSubscriptionSecrets, 'publicKey' | 'previousPublicKey' | 'previousSecretExpiresAt'> {
  const previous = previousSecretInForce(s, now);
  const previousSecretExpiresAt = previous === null ? null : s.previousSecretExpiresAt;
  if (s.signatureScheme !== 'ed25519') return { publicKey: null, previousPublicKey: null, previousSecretExpiresAt };
  return {
    publicKey: ed25519PublicKey(s.secret),
    previousPublicKey: previous === null ? null : ed25519PublicKey(previous),
    previousSecretExpiresAt,
  };
}

/** The secret a subscription of this scheme signs with: the one given (checked for ed25519), or a new one. */
function signingSecret(scheme: SignatureScheme, given: string | undefined): string {
  if (given === undefined) return generateSigningSecret(scheme);
  if (scheme === 'ed25519' && !ed25519PrivateKey(given)) {
    throw new WebhookValidationError(
      'secret',
      'must be an Ed25519 signing key (whsk_ + base64 of 32 or 64 bytes) for signatureScheme ed25519',
    );
  }
  return given;
}

/**
 * A get shows credential headers as `[redacted]`; sending that back in an update keeps the stored value
 * instead of storing the marker.
 */
function keepRedactedValues(headers: Record<string, string>, stored: Record<string, string>): Record<string, string> {
  const storedByName = new Map(Object.entries(stored).map(([name, value]) => [name.toLowerCase(), value]));
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      value === REDACTED_HEADER_VALUE ? (storedByName.get(name.toLowerCase()) ?? value) : value,
    ]),
  );
}
