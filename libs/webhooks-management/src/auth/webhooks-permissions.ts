/**
 * ABP-style permission names. A child (`Webhooks.Subscriptions.Create`) is only meaningful with its parent
 * (`Webhooks.Subscriptions`): a route requiring a child also requires the parent.
 */
export const WebhooksPermissions = {
  Publish: 'Webhooks.Publish',
  Subscriptions: {
    Default: 'Webhooks.Subscriptions',
    Create: 'Webhooks.Subscriptions.Create',
    Update: 'Webhooks.Subscriptions.Update',
    Delete: 'Webhooks.Subscriptions.Delete',
  },
  SendAttempts: {
    Default: 'Webhooks.SendAttempts',
    Resend: 'Webhooks.SendAttempts.Resend',
    Delete: 'Webhooks.SendAttempts.Delete',
    /** Erase an event's payload and its attempts' stored bodies and headers. */
    Expunge: 'Webhooks.SendAttempts.Expunge',
  },
  Definitions: {
    Default: 'Webhooks.Definitions',
    /** Create, update and delete stored groups and definitions (host only). */
    Manage: 'Webhooks.Definitions.Manage',
  },
  ApiKeys: 'Webhooks.ApiKeys',
  /** Open portal sessions (the embeddable portal, the admin console). */
  PortalSessions: 'Webhooks.PortalSessions',
  Tenants: {
    /** Read where a tenant's erasure stands (host only). */
    Default: 'Webhooks.Tenants',
    /** Erase every row of a tenant (host only). */
    Erase: 'Webhooks.Tenants.Erase',
  },
} as const;

/** Every permission there is, parents before children. */
export const ALL_WEBHOOKS_PERMISSIONS: readonly string[] = Object.values(WebhooksPermissions).flatMap((p) =>
  typeof p === 'string' ? [p] : Object.values(p),
);

/** `Webhooks.Subscriptions.Create` → [`Webhooks.Subscriptions`, `Webhooks.Subscriptions.Create`]. */
export function withParents(permission: string): string[] {
  const parts = permission.split('.');
  const chain: string[] = [];
  for (let i = 2; i <= parts.length; i++) {
    const name = parts.slice(0, i).join('.');
    if (ALL_WEBHOOKS_PERMISSIONS.includes(name)) chain.push(name);
  }
  return chain.length ? chain : [permission];
}
