import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DiscoveryService } from '@nestjs/core';
import { ConfigWebhookFeatureChecker } from '../features/webhook-feature-checker';
import { DEFAULT_WEBHOOKS_OPTIONS } from '../options/webhooks-options';
import { WebhookDataSchemas } from '../schemas/webhook-data-schemas';
import { WebhookDefinitionManager } from './webhook-definition-manager';

/** A manager reading only a definitions file (no code providers, no store). */
function managerOf(yaml: string): WebhookDefinitionManager {
  const path = join(mkdtempSync(join(tmpdir(), 'hookline-manager-')), 'defs.yaml');
  writeFileSync(path, yaml);
  const noProviders = { getProviders: () => [] } as unknown as DiscoveryService;
  return new WebhookDefinitionManager(
    noProviders,
    new ConfigWebhookFeatureChecker(null),
    new WebhookDataSchemas(),
    DEFAULT_WEBHOOKS_OPTIONS,
    path,
  );
}

describe('WebhookDefinitionManager start-up', () => {
  it('loads a schema with an example that satisfies it', async () => {
    const manager = managerOf(
      'groups:\n  - name: g\n    webhooks:\n      - { name: a.b, schema: { required: [id] }, example: { id: 1 } }\n',
    );
    await manager.onModuleInit();
    assert.equal(manager.getOrNull('a.b')?.schemaVersion, 1);
  });

  const unusable: [string, string, RegExp][] = [
    [
      'an example that breaks its schema',
      '{ name: a.b, schema: { required: [id] }, example: { other: 1 } }',
      /Webhook 'a\.b' \(from file\): example\.id breaks the schema: is required/,
    ],
    [
      'a schema that does not compile',
      '{ name: a.b, schema: { type: thing } }',
      /Webhook 'a\.b' \(from file\): schema is not a valid JSON Schema/,
    ],
  ];
  for (const [what, webhook, message] of unusable) {
    it(`stops on ${what}, naming the webhook`, async () => {
      await assert.rejects(managerOf(`groups:\n  - name: g\n    webhooks:\n      - ${webhook}\n`).onModuleInit(), message);
    });
  }
});
