import type { JsonSchema } from '../schemas/webhook-data-schemas';

/** A group created through the API. */
export interface StoredWebhookGroup {
  name: string;
  displayName: string;
}

/** A definition created through the API; it may belong to a stored group or to one from code or file. */
export interface StoredWebhookDefinition {
  name: string;
  groupName: string;
  displayName: string;
  description: string | null;
  requiredFeatures: string[];
  isAvailable: boolean;
  schema: JsonSchema | null;
  /** Set exactly when `schema` is. */
  schemaVersion: number | null;
  example: Record<string, unknown> | null;
}

export interface StoredWebhookDefinitions {
  /** The change counter these were read at. */
  version: string;
  groups: StoredWebhookGroup[];
  definitions: StoredWebhookDefinition[];
}

/**
 * Port: groups and definitions kept in a database (LINGYUN's WebhookDefinitionRecord), merged by
 * WebhookDefinitionManager with those from code and file. Every write moves a change counter, so other
 * processes notice with one cheap read.
 */
export abstract class WebhookDefinitionStore {
  abstract getVersion(): Promise<string>;
  /** Everything, with the version it was read at (one consistent read). */
  abstract load(): Promise<StoredWebhookDefinitions>;
  /** False when the name is taken. */
  abstract insertGroup(group: StoredWebhookGroup): Promise<boolean>;
  /** False when there is no such stored group. */
  abstract updateGroup(group: StoredWebhookGroup): Promise<boolean>;
  /** Deletes the group unless stored definitions still belong to it (their names are returned then). */
  abstract deleteGroup(name: string): Promise<{ found: boolean; definitionNames: string[] }>;
  /** False when the name is taken. */
  abstract insertDefinition(definition: StoredWebhookDefinition): Promise<boolean>;
  /** False when there is no such stored definition. */
  abstract updateDefinition(definition: StoredWebhookDefinition): Promise<boolean>;
  /**
   * Deletes the definition unless a subscription (of any tenant) names it exactly; then nothing is deleted
   * and the ids of (up to 100 of) those subscriptions are returned.
   */
  abstract deleteDefinition(name: string): Promise<{ found: boolean; subscriptionIds: string[] }>;
}
