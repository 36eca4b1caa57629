import { WebhookDefinitionError } from '../errors';
import type { JsonSchema } from '../schemas/webhook-data-schemas';
import { isValidWebhookName } from './webhook-name-pattern';

/**
 * Where a definition or group comes from: a code provider, the definitions file, or the database (created
 * through the API). Only stored ones can be changed or deleted at run time.
 */
export type WebhookDefinitionSource = 'code' | 'file' | 'store';

/** One kind of webhook a tenant can subscribe to (ABP's WebhookDefinition). */
export interface WebhookDefinition {
  name: string;
  displayName: string;
  description?: string;
  /** Every one of these features must be granted to the tenant for it to see, subscribe to or receive it. */
  requiredFeatures: string[];
  groupName: string;
  /** False: offered to nobody (as if no tenant had its features); only stored definitions can be switched off. */
  isAvailable: boolean;
  source: WebhookDefinitionSource;
  /** JSON Schema (draft 2020-12) of the events' `data`: publish refuses data that breaks it. */
  schema?: JsonSchema;
  /** The schema's version (from 1), raised whenever the schema changes; set exactly when `schema` is. */
  schemaVersion?: number;
  /** A `data` that satisfies the schema. */
  example?: Record<string, unknown>;
}

export interface WebhookGroupDefinition {
  name: string;
  displayName: string;
  source: WebhookDefinitionSource;
  webhooks: WebhookDefinition[];
}

export interface WebhookDefinitionInput {
  name: string;
  displayName?: string;
  description?: string;
  requiredFeatures?: string[];
  /** Checked, with the example, when the definitions are loaded. */
  schema?: JsonSchema;
  /** Default 1. */
  schemaVersion?: number;
  example?: Record<string, unknown>;
}

/** Handed to every definition provider; collects groups and their webhooks and refuses duplicates. */
export class WebhookDefinitionContext {
  private readonly groups = new Map<string, WebhookGroupDefinition>();
  private readonly webhooks = new Map<string, WebhookDefinition>();
  /** What is being read now; stamped on every group and webhook added. */
  source: WebhookDefinitionSource = 'code';

  addGroup(name: string, displayName?: string): WebhookGroupBuilder {
    if (!name || this.groups.has(name)) throw new WebhookDefinitionError(`Webhook group '${name}' is empty or defined twice`);
    const group: WebhookGroupDefinition = { name, displayName: displayName ?? name, source: this.source, webhooks: [] };
    this.groups.set(name, group);
    return new WebhookGroupBuilder(group, this.webhooks, this);
  }

  getGroupOrNull(name: string): WebhookGroupBuilder | null {
    const group = this.groups.get(name);
    return group ? new WebhookGroupBuilder(group, this.webhooks, this) : null;
  }

  build(): { groups: WebhookGroupDefinition[]; webhooks: Map<string, WebhookDefinition> } {
    return { groups: [...this.groups.values()], webhooks: this.webhooks };
  }
}

export class WebhookGroupBuilder {
  constructor(
    private readonly group: WebhookGroupDefinition,
    private readonly all: Map<string, WebhookDefinition>,
    private readonly context: WebhookDefinitionContext,
  ) {}

  addWebhook(input: WebhookDefinitionInput): this {
    if (!isValidWebhookName(input.name)) {
      throw new WebhookDefinitionError(
        `Webhook name '${input.name}' is invalid: use dotted words of letters, digits, '_' or '-'`,
      );
    }
    if (this.all.has(input.name)) throw new WebhookDefinitionError(`Webhook '${input.name}' is defined twice`);
    const definition: WebhookDefinition = {
      name: input.name,
      displayName: input.displayName ?? input.name,
      description: input.description,
      requiredFeatures: [...(input.requiredFeatures ?? [])],
      groupName: this.group.name,
      isAvailable: true,
      source: this.context.source,
      ...dataContract(input),
    };
    this.group.webhooks.push(definition);
    this.all.set(definition.name, definition);
    return this;
  }
}

/** The schema fields of a definition: all absent, or a schema with its version (default 1) and example. */
function dataContract({ name, schema, schemaVersion, example }: WebhookDefinitionInput) {
  if (schema === undefined) {
    if (schemaVersion !== undefined || example !== undefined) {
      throw new WebhookDefinitionError(`Webhook '${name}': schemaVersion and example need a schema`);
    }
    return {};
  }
  const version = schemaVersion ?? 1;
  if (!Number.isInteger(version) || version < 1) {
    throw new WebhookDefinitionError(`Webhook '${name}': schemaVersion must be a positive integer`);
  }
  return { schema, schemaVersion: version, ...(example === undefined ? {} : { example }) };
}
