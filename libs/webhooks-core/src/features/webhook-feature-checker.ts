import { Inject, Injectable, Optional } from '@nestjs/common';

/**
 * Port: decides whether a tenant has the features a webhook definition requires (ABP's IFeatureChecker).
 * Replace it with a provider for this class that asks your edition or billing system.
 */
export abstract class WebhookFeatureChecker {
  /** True when every one of `features` is granted to the tenant (null = the host). */
  abstract areAllGranted(tenantId: string | null, features: readonly string[]): Promise<boolean>;
}

/** Tenant id (or `*` for every tenant) → the features it is granted. */
export type FeatureGrants = Record<string, string[]>;
export const WEBHOOKS_FEATURE_GRANTS = Symbol('WEBHOOKS_FEATURE_GRANTS');

/**
 * Default checker: reads grants from configuration. With no grants configured every feature is granted,
 * so a fresh install works without setup. The host is the operator and always has every feature.
 */
@Injectable()
export class ConfigWebhookFeatureChecker extends WebhookFeatureChecker {
  constructor(@Optional() @Inject(WEBHOOKS_FEATURE_GRANTS) private readonly grants?: FeatureGrants | null) {
    super();
  }

  async areAllGranted(tenantId: string | null, features: readonly string[]): Promise<boolean> {
    if (features.length === 0 || !this.grants || tenantId === null) return true;
    const granted = new Set([...(this.grants['*'] ?? []), ...(this.grants[tenantId] ?? [])]);
    return features.every((f) => granted.has(f));
  }
}
