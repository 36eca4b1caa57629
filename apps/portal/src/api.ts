/** The public REST API, called with the session cookie: every guard, permission and tenant rule applies. */

export interface ApiErrorDetail {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: ApiErrorDetail[] = [],
  ) {
    super(message);
  }
}

/** The tenant a host session acts for (the `__tenant` header); null: the host's own data. */
let actingTenant: string | null = null;

export function setActingTenant(tenantId: string | null): void {
  actingTenant = tenantId;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** A bearer credential instead of the cookie (signing in only). */
  bearer?: string;
  /** The host's own routes (tenants, queue): never on behalf of the tenant switched to. */
  asHost?: boolean;
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { 'x-hookline-portal': '1', accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (actingTenant !== null && !options.bearer && !options.asHost) headers.__tenant = actingTenant;
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  let response: Response;
  try {
    response = await fetch(`/api/webhooks${path}${queryString(options.query)}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'The service could not be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const error = (parsed as { error?: { message?: string; details?: ApiErrorDetail[] } } | undefined)?.error;
    throw new ApiError(response.status, error?.message ?? `The service answered ${response.status}.`, error?.details ?? []);
  }
  return parsed as T;
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// The shapes the API answers (the fields the portal uses).

export interface Paged<T> {
  totalCount: number;
  items: T[];
}

export interface Session {
  kind: string;
  tenantId: string | null;
  permissions: string[];
}

export interface Subscription {
  id: string;
  tenantId: string | null;
  webhookUri: string;
  secret: string;
  /** During a rotation's overlap, until when the replaced secret still signs beside `secret`; else null. */
  previousSecretExpiresAt: string | null;
  webhooks: string[];
  headers: Record<string, string>;
  isActive: boolean;
  timeoutDuration: number | null;
  maxSendAttemptCount: number | null;
  description: string | null;
  consecutiveFailureCount: number;
  deactivatedAt: string | null;
  deactivationReason: string | null;
  creationTime: string;
  concurrencyStamp: string;
}

export interface WebhookDefinition {
  name: string;
  displayName: string;
  description: string | null;
  groupName: string;
  isAvailable: boolean;
}

export interface WebhookGroup {
  name: string;
  displayName: string;
  webhooks: WebhookDefinition[];
}

export interface TestSendResult {
  succeeded: boolean;
  statusCode: number | null;
  durationMs: number;
  response: string | null;
  error: string | null;
}

export interface EventSummary {
  id: string;
  webhookName: string;
  deliveryCount: number;
  creationTime: string;
}

export type DeliveryState = 'pending' | 'succeeded' | 'failed' | 'abandoned';

export interface Delivery {
  id: string;
  subscriptionId: string;
  state: DeliveryState;
  attemptCount: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  creationTime: string;
}

export interface EventDetail extends EventSummary {
  data: unknown;
  sendExactSameData: boolean;
  headers: Record<string, string> | null;
  deliveries: Delivery[];
}

export interface SendAttempt {
  id: string;
  deliveryId: string;
  webhookEventId: string;
  webhookSubscriptionId: string;
  attemptNumber: number;
  succeeded: boolean;
  responseStatusCode: number | null;
  response: string | null;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string> | null;
  durationMs: number;
  error: string | null;
  creationTime: string;
}

export const Permissions = {
  Subscriptions: 'Webhooks.Subscriptions',
  SubscriptionsCreate: 'Webhooks.Subscriptions.Create',
  SubscriptionsUpdate: 'Webhooks.Subscriptions.Update',
  SubscriptionsDelete: 'Webhooks.Subscriptions.Delete',
  SendAttempts: 'Webhooks.SendAttempts',
  Resend: 'Webhooks.SendAttempts.Resend',
  Definitions: 'Webhooks.Definitions',
  ApiKeys: 'Webhooks.ApiKeys',
} as const;
