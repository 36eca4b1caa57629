import { Injectable } from '@nestjs/common';
import {
  JsonSchema,
  WebhookConflictError,
  WebhookDataSchemas,
  WebhookDefinition,
  WebhookDefinitionManager,
  WebhookDefinitionSource,
  StoredWebhookDefinition,
  WebhookDefinitionStore,
  WebhookGroupDefinition,
  WebhookNotFoundError,
  WebhookValidationError,
  isValidWebhookName,
} from '@hookline/webhooks-core';
import { buildAsyncApiDocument } from './asyncapi-document';

export interface WebhookGroupInput {
  displayName?: string;
}

export interface WebhookDefinitionInput {
  groupName: string;
  displayName?: string;
  description?: string;
  requiredFeatures?: string[];
  isAvailable?: boolean;
  /** JSON Schema (2020-12) of the events' data; omit for none. */
  schema?: JsonSchema;
  /** Default: 1 for a new schema, one more than the current version when the schema changes. */
  schemaVersion?: number;
  /** A data object that satisfies the schema. */
  example?: Record<string, unknown>;
}

/** Largest schema or example accepted, in characters of JSON. */
export const MAX_SCHEMA_JSON_LENGTH = 64 * 1024;

const SOURCE_NAMES: Record<WebhookDefinitionSource, string> = {
  code: 'in code',
  file: 'in the definitions file',
  store: 'through the API',
};

/**
 * Webhook definitions and groups (LINGYUN's WebhookDefinitionAppService and WebhookGroupDefinitionAppService):
 * what a tenant may use, and, for the host, managing those stored in the database. Those from code or the
 * definitions file are read-only. Every write reloads this process's definitions at once.
 */
@Injectable()
export class WebhookDefinitionAppService {
  constructor(
    private readonly definitions: WebhookDefinitionManager,
    private readonly store: WebhookDefinitionStore,
    private readonly schemas: WebhookDataSchemas,
  ) {}

  /** The definitions the tenant's features allow. */
  listAvailable(tenantId: string | null): Promise<WebhookDefinition[]> {
    return this.definitions.getAvailable(tenantId);
  }

  /** The definitions the tenant may use, as an AsyncAPI 3.0 document. */
  async asyncApiDocument(tenantId: string | null): Promise<Record<string, unknown>> {
    return buildAsyncApiDocument(await this.definitions.getAvailable(tenantId), 'Hookline webhooks');
  }

  /**
   * Groups with their definitions. The host sees every group and definition (switched-off ones too, to manage
   * them); a tenant sees the definitions available to it, in the groups that have any.
   */
  async listGroups(tenantId: string | null): Promise<WebhookGroupDefinition[]> {
    return tenantId === null ? this.definitions.getGroups() : this.definitions.getAvailableGroups(tenantId);
  }

  async createGroup(name: string, input: WebhookGroupInput): Promise<WebhookGroupDefinition> {
    assertValidName(name, 'name');
    await this.definitions.refreshIfChanged();
    const existing = this.definitions.getGroupOrNull(name);
    if (existing || !(await this.store.insertGroup({ name, displayName: input.displayName ?? name }))) {
      throw nameTaken('group', name, existing?.source ?? 'store');
    }
    return this.changed(() => this.definitions.getGroupOrNull(name));
  }

  async updateGroup(name: string, input: WebhookGroupInput): Promise<WebhookGroupDefinition> {
    this.assertStored('group', name, this.definitions.getGroupOrNull(name)?.source);
    if (!(await this.store.updateGroup({ name, displayName: input.displayName ?? name }))) {
      throw new WebhookNotFoundError('Webhook group', name);
    }
    return this.changed(() => this.definitions.getGroupOrNull(name));
  }

  async deleteGroup(name: string): Promise<void> {
    this.assertStored('group', name, this.definitions.getGroupOrNull(name)?.source);
    const { found, definitionNames } = await this.store.deleteGroup(name);
    if (!found) throw new WebhookNotFoundError('Webhook group', name);
    if (definitionNames.length) {
      throw new WebhookConflictError(
        `Webhook group '${name}' still has definitions: delete them first (${definitionNames.join(', ')})`,
        definitionNames.map((d) => ({ field: 'webhooks', message: d })),
      );
    }
    await this.definitions.reload();
  }

  async createDefinition(name: string, input: WebhookDefinitionInput): Promise<WebhookDefinition> {
    assertValidName(name, 'name');
    await this.definitions.refreshIfChanged();
    this.assertGroupExists(input.groupName);
    const existing = this.definitions.getOrNull(name);
    if (existing || !(await this.store.insertDefinition(toStored(name, input, this.checkContract(input, undefined))))) {
      throw nameTaken('webhook', name, existing?.source ?? 'store');
    }
    return this.changed(() => this.definitions.getOrNull(name));
  }

  async updateDefinition(name: string, input: WebhookDefinitionInput): Promise<WebhookDefinition> {
    this.assertStored('webhook', name, this.definitions.getOrNull(name)?.source);
    await this.definitions.refreshIfChanged();
    this.assertGroupExists(input.groupName);
    const contract = this.checkContract(input, this.definitions.getOrNull(name) ?? undefined);
    if (!(await this.store.updateDefinition(toStored(name, input, contract)))) {
      throw new WebhookNotFoundError('Webhook definition', name);
    }
    return this.changed(() => this.definitions.getOrNull(name));
  }

  async deleteDefinition(name: string): Promise<void> {
    this.assertStored('webhook', name, this.definitions.getOrNull(name)?.source);
    const { found, subscriptionIds } = await this.store.deleteDefinition(name);
    if (!found) throw new WebhookNotFoundError('Webhook definition', name);
    if (subscriptionIds.length) {
      throw new WebhookConflictError(
        `Webhook '${name}' is used by subscriptions: remove it from them first (${subscriptionIds.join(', ')})`,
        subscriptionIds.map((id) => ({ field: 'subscriptions', message: id })),
      );
    }
    await this.definitions.reload();
  }

  /**
   * The schema, its version and example as they will be stored: the schema compiles, the example satisfies it,
   * and a changed schema gets a higher version than `current`'s.
   */
  private checkContract(input: WebhookDefinitionInput, current: WebhookDefinition | undefined): DataContract {
    const { schema, example } = input;
    if (schema === undefined) {
      if (input.schemaVersion !== undefined) throw new WebhookValidationError('schemaVersion', 'needs a schema');
      if (example !== undefined) throw new WebhookValidationError('example', 'needs a schema');
      return { schema: null, schemaVersion: null, example: null };
    }
    for (const [field, value] of [
      ['schema', schema],
      ['example', example],
    ] as const) {
      if (value !== undefined && JSON.stringify(value).length > MAX_SCHEMA_JSON_LENGTH) {
        throw new WebhookValidationError(field, `must be at most ${MAX_SCHEMA_JSON_LENGTH} characters of JSON`);
      }
    }
    const problem = this.schemas.contractProblem(schema, example);
    if (problem) throw new WebhookValidationError(problem.field, problem.message);
    const currentVersion = current?.schemaVersion ?? 0;
    const changed = current?.schema === undefined || JSON.stringify(current.schema) !== JSON.stringify(schema);
    const schemaVersion = input.schemaVersion ?? (changed ? currentVersion + 1 : currentVersion);
    if (changed ? schemaVersion <= currentVersion : schemaVersion < currentVersion) {
      throw new WebhookValidationError(
        'schemaVersion',
        changed
          ? `must be above ${currentVersion} (the current version): the schema changed`
          : `must not go below ${currentVersion} (the current version)`,
      );
    }
    return { schema, schemaVersion, example: example ?? null };
  }

  /** Code and file definitions are part of the deployment: the API cannot change them. */
  private assertStored(kind: 'group' | 'webhook', name: string, source: WebhookDefinitionSource | undefined): void {
    if (source && source !== 'store') {
      throw new WebhookConflictError(
        `Webhook ${kind} '${name}' is defined ${SOURCE_NAMES[source]} and cannot be changed or deleted through the API`,
      );
    }
  }

  private assertGroupExists(groupName: string): void {
    if (!this.definitions.getGroupOrNull(groupName)) {
      throw new WebhookValidationError('groupName', `unknown webhook group '${groupName}'`);
    }
  }

  /** Reloads this process's definitions and returns what `read` finds in them. */
  private async changed<T>(read: () => T | null | undefined): Promise<T> {
    await this.definitions.reload();
    return read() as T;
  }
}

function assertValidName(name: string, field: string): void {
  if (!isValidWebhookName(name)) {
    throw new WebhookValidationError(field, "must be at most 128 characters of dotted words of letters, digits, '_' or '-'");
  }
}

function nameTaken(kind: 'group' | 'webhook', name: string, source: WebhookDefinitionSource): WebhookConflictError {
  return new WebhookConflictError(`Webhook ${kind} '${name}' already exists (defined ${SOURCE_NAMES[source]})`, [
    { field: 'name', message: `is already defined ${SOURCE_NAMES[source]}` },
  ]);
}

type DataContract = Pick<StoredWebhookDefinition, 'schema' | 'schemaVersion' | 'example'>;

const toStored = (name: string, input: WebhookDefinitionInput, contract: DataContract): StoredWebhookDefinition => ({
  name,
  groupName: input.groupName,
  displayName: input.displayName ?? name,
  description: input.description ?? null,
  requiredFeatures: [...new Set(input.requiredFeatures ?? [])],
  isAvailable: input.isAvailable ?? true,
  ...contract,
});
