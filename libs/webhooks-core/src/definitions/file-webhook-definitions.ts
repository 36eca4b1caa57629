import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { WebhookDefinitionError } from '../errors';
import type { WebhookDefinitionContext } from './webhook-definition';

/**
 * Definitions for hosts that write no code: a YAML or JSON file of groups, each with its webhooks.
 *
 * groups:
 *   - name: orders
 *     displayName: Orders
 *     webhooks:
 *       - name: order.created
 *         displayName: Order created
 *         requiredFeatures: []
 *         schema: { type: object, required: [orderId], properties: { orderId: { type: string } } }
 *         schemaVersion: 1
 *         example: { orderId: ord_1001 }
 */
export async function loadDefinitionsFile(path: string, context: WebhookDefinitionContext): Promise<void> {
  const text = await readFile(path, 'utf8').catch((e: Error) => {
    throw new WebhookDefinitionError(`Cannot read webhook definitions file '${path}': ${e.message}`);
  });
  let doc: unknown;
  try {
    doc = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new WebhookDefinitionError(
      `Webhook definitions file '${path}' is not valid ${extname(path) || 'YAML'}: ${(e as Error).message}`,
    );
  }
  const fail = (where: string, why: string): never => {
    throw new WebhookDefinitionError(`Webhook definitions file '${path}': ${where} ${why}`);
  };
  const groups = (doc as { groups?: unknown })?.groups;
  if (!Array.isArray(groups)) fail('top level', 'must have a "groups" list');
  (groups as unknown[]).forEach((g, gi) => {
    const group = g as Record<string, unknown>;
    if (typeof group?.name !== 'string') fail(`groups[${gi}].name`, 'must be a string');
    if (!Array.isArray(group.webhooks)) fail(`groups[${gi}].webhooks`, 'must be a list');
    const builder =
      context.getGroupOrNull(group.name as string) ??
      context.addGroup(group.name as string, optionalString(group.displayName, `groups[${gi}].displayName`, fail));
    (group.webhooks as unknown[]).forEach((w, wi) => {
      const at = `groups[${gi}].webhooks[${wi}]`;
      const webhook = w as Record<string, unknown>;
      if (typeof webhook?.name !== 'string') fail(`${at}.name`, 'must be a string');
      const features = webhook.requiredFeatures ?? [];
      if (!Array.isArray(features) || features.some((f) => typeof f !== 'string')) {
        fail(`${at}.requiredFeatures`, 'must be a list of strings');
      }
      try {
        builder.addWebhook({
          name: webhook.name as string,
          displayName: optionalString(webhook.displayName, `${at}.displayName`, fail),
          description: optionalString(webhook.description, `${at}.description`, fail),
          requiredFeatures: features as string[],
          schema: optionalObject(webhook.schema, `${at}.schema`, fail),
          schemaVersion: optionalPositiveInteger(webhook.schemaVersion, `${at}.schemaVersion`, fail),
          example: optionalObject(webhook.example, `${at}.example`, fail),
        });
      } catch (e) {
        fail(at, (e as Error).message);
      }
    });
  });
}

function optionalString(value: unknown, where: string, fail: (w: string, why: string) => never): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : fail(where, 'must be a string');
}

function optionalObject(
  value: unknown,
  where: string,
  fail: (w: string, why: string) => never,
): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : fail(where, 'must be an object');
}

function optionalPositiveInteger(value: unknown, where: string, fail: (w: string, why: string) => never): number | undefined {
  if (value === undefined || value === null) return undefined;
  return Number.isInteger(value) && (value as number) >= 1 ? (value as number) : fail(where, 'must be a positive integer');
}
