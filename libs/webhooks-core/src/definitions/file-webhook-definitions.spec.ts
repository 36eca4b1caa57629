import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WebhookDefinitionError } from '../errors';
import { loadDefinitionsFile } from './file-webhook-definitions';
import { WebhookDefinitionContext } from './webhook-definition';

const dir = mkdtempSync(join(tmpdir(), 'hookline-defs-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function load(path: string, context = new WebhookDefinitionContext()) {
  await loadDefinitionsFile(path, context);
  return context.build();
}

describe('loadDefinitionsFile', () => {
  it('loads groups and webhooks from YAML and JSON', async () => {
    const yaml = file(
      'a.yaml',
      'groups:\n  - name: orders\n    displayName: Orders\n    webhooks:\n      - name: order.created\n        requiredFeatures: [A, B]\n',
    );
    const { groups, webhooks } = await load(yaml);
    assert.equal(groups[0].displayName, 'Orders');
    assert.deepEqual(webhooks.get('order.created')?.requiredFeatures, ['A', 'B']);
    assert.equal(webhooks.get('order.created')?.displayName, 'order.created');

    const json = file('b.json', JSON.stringify({ groups: [{ name: 'g', webhooks: [{ name: 'x.y', description: 'd' }] }] }));
    assert.equal((await load(json)).webhooks.get('x.y')?.description, 'd');
  });

  it('adds to a group a code provider created', async () => {
    const context = new WebhookDefinitionContext();
    context.addGroup('orders').addWebhook({ name: 'order.paid' });
    const { groups } = await load(
      file('c.yaml', 'groups:\n  - name: orders\n    webhooks: [{ name: order.created }]\n'),
      context,
    );
    assert.deepEqual(
      groups[0].webhooks.map((w) => w.name),
      ['order.paid', 'order.created'],
    );
  });

  it('reads a schema with its version and example', async () => {
    const { webhooks } = await load(
      file(
        's.yaml',
        'groups:\n  - name: g\n    webhooks:\n      - name: a.b\n        schemaVersion: 3\n        schema: { type: object }\n        example: { x: 1 }\n      - { name: a.c, schema: { type: object } }\n',
      ),
    );
    assert.deepEqual(webhooks.get('a.b')?.schema, { type: 'object' });
    assert.equal(webhooks.get('a.b')?.schemaVersion, 3);
    assert.deepEqual(webhooks.get('a.b')?.example, { x: 1 });
    assert.equal(webhooks.get('a.c')?.schemaVersion, 1, 'a schema without a version is version 1');
  });

  const broken: [string, string, RegExp][] = [
    [
      'a schema not an object',
      'groups:\n  - name: g\n    webhooks: [{ name: a.b, schema: [1] }]\n',
      /webhooks\[0\]\.schema must be an object/,
    ],
    [
      'a version not a positive integer',
      'groups:\n  - name: g\n    webhooks: [{ name: a.b, schema: {}, schemaVersion: 0 }]\n',
      /webhooks\[0\]\.schemaVersion must be a positive integer/,
    ],
    [
      'an example without a schema',
      'groups:\n  - name: g\n    webhooks: [{ name: a.b, example: {} }]\n',
      /schemaVersion and example need a schema/,
    ],
    ['missing groups', 'webhooks: []\n', /top level must have a "groups" list/],
    ['webhooks not a list', 'groups:\n  - name: g\n    webhooks: nope\n', /groups\[0\]\.webhooks must be a list/],
    [
      'bad name',
      'groups:\n  - name: g\n    webhooks: [{ name: "bad name!" }]\n',
      /groups\[0\]\.webhooks\[0\] Webhook name 'bad name!' is invalid/,
    ],
    ['wildcard as a name', 'groups:\n  - name: g\n    webhooks: [{ name: "order.*" }]\n', /is invalid/],
    ['defined twice', 'groups:\n  - name: g\n    webhooks: [{ name: a.b }, { name: a.b }]\n', /'a.b' is defined twice/],
    [
      'features not strings',
      'groups:\n  - name: g\n    webhooks: [{ name: a.b, requiredFeatures: [1] }]\n',
      /requiredFeatures must be a list of strings/,
    ],
    ['not YAML', 'groups: [\n', /is not valid/],
  ];
  for (const [what, text, message] of broken) {
    it(`refuses a file with ${what}, saying where`, async () => {
      await assert.rejects(load(file(`${what.replace(/\W/g, '_')}.yaml`, text)), (e: unknown) => {
        assert.ok(e instanceof WebhookDefinitionError);
        assert.match((e as Error).message, message);
        return true;
      });
    });
  }

  it('refuses a file that cannot be read', async () => {
    await assert.rejects(load(join(dir, 'missing.yaml')), /Cannot read webhook definitions file/);
  });
});
