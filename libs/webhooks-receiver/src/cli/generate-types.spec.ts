import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { dataTypeName, generateReceiverTypes, readDefinitionsFile } from './generate-types';

const EXAMPLE_DEFINITIONS = resolve('config/webhooks.definitions.yaml');
const VERIFY_MODULE = resolve('libs/webhooks-receiver/src/verify');

/** The TypeScript errors of compiling these files together (strict, no emit). */
function compileErrors(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-types-'));
  const paths = Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
  const program = ts.createProgram(paths, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: ['node'],
    typeRoots: [resolve('node_modules/@types')],
    skipLibCheck: true,
    ignoreDeprecations: '6.0',
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** A module that assigns each published example to its generated type. */
function examplesModule(examples: Record<string, unknown>): string {
  return `import type { HooklineEvents } from './hookline-events';
export const examples: { [Name in keyof HooklineEvents]?: HooklineEvents[Name] } = ${JSON.stringify(examples, null, 2)};\n`;
}

describe('generate:receiver-types', () => {
  const examples = Object.fromEntries(
    (
      parseYaml(readFileSync(EXAMPLE_DEFINITIONS, 'utf8')) as { groups: { webhooks: { name: string; example?: unknown }[] }[] }
    ).groups
      .flatMap((g) => g.webhooks)
      .filter((w) => w.example)
      .map((w) => [w.name, w.example]),
  );

  it('names data types after the events', () => {
    assert.equal(dataTypeName('order.created'), 'OrderCreatedData');
    assert.equal(dataTypeName('invoice.payment_failed'), 'InvoicePaymentFailedData');
    assert.equal(dataTypeName('3d.print-done'), '_3dPrintDoneData');
  });

  it("writes types that the catalog's published examples compile against, and that type each event's data", async () => {
    const definitions = await readDefinitionsFile(EXAMPLE_DEFINITIONS);
    assert.ok(Object.keys(examples).length >= 6);
    const declarations = await generateReceiverTypes(definitions, 'config/webhooks.definitions.yaml');
    for (const d of definitions)
      assert.match(declarations, new RegExp(`"${d.name.replace('.', '\\.')}": ${dataTypeName(d.name)};`));
    const usage = `import type { HooklineEvents } from './hookline-events';
import { verifyWebhook } from ${JSON.stringify(VERIFY_MODULE)};
export function handle(body: string, headers: Record<string, string>): string {
  const event = verifyWebhook<HooklineEvents>(body, headers, { secrets: 'whsec_x' });
  switch (event.webhookEvent) {
    case 'order.created':
      return event.data.customer.email + event.data.items[0].sku;
    case 'invoice.payment_failed':
      return event.data.failureCode;
    default:
      return event.webhookEvent;
  }
}\n`;
    assert.deepEqual(
      compileErrors({ 'hookline-events.d.ts': declarations, 'examples.ts': examplesModule(examples), 'usage.ts': usage }),
      [],
    );
  });

  it('fails to compile an example that breaks its schema, or code that misreads the data', async () => {
    const declarations = await generateReceiverTypes(await readDefinitionsFile(EXAMPLE_DEFINITIONS), 'test');
    const broken = structuredClone(examples) as Record<string, Record<string, unknown>>;
    broken['order.created'].total = '12950';
    delete broken['order.paid'].paymentId;
    const errors = compileErrors({ 'hookline-events.d.ts': declarations, 'examples.ts': examplesModule(broken) });
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors.join('\n'), /Type 'string' is not assignable to type 'number'/);
    assert.match(errors.join('\n'), /paymentId/);
    const misread = `import type { OrderPaidData } from './hookline-events';
export const n = (d: OrderPaidData): number => d.currency;\n`;
    assert.equal(compileErrors({ 'hookline-events.d.ts': declarations, 'misread.ts': misread }).length, 1);
  });

  it('types an event without a schema as an open record', async () => {
    const declarations = await generateReceiverTypes([{ name: 'ping' }], 'test');
    assert.match(declarations, /export type PingData = Record<string, unknown>;/);
    assert.match(declarations, /"ping": PingData;/);
  });
});
