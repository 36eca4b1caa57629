import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hooklineFixture } from './support/hookline';
import { webhooksApiRoutes } from './support/routes';

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { security?: unknown[]; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>
  >;
  components: {
    schemas: Record<string, { properties?: Record<string, { type?: string; $ref?: string; allOf?: unknown; enum?: unknown }> }>;
  };
}

describe('OpenAPI', () => {
  const f = hooklineFixture();

  it('serves the UI at /api/docs and the document at /api/docs-json without a credential', async () => {
    const ui = await fetch(`${f.api.baseUrl}/api/docs`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
    assert.equal((await fetch(`${f.api.baseUrl}/api/docs-json`)).status, 200);
  });

  it('documents every webhooks route, each authenticated one with bearer security, and every request body with its fields', async () => {
    const doc = (await (await fetch(`${f.api.baseUrl}/api/docs-json`)).json()) as OpenApiDocument;
    for (const route of webhooksApiRoutes(f.hookline.app)) {
      // OpenAPI writes parameters as {id}; the route helper filled them with a UUID.
      const template = Object.keys(doc.paths).find(
        (p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(route.path) && doc.paths[p][route.method.toLowerCase()],
      );
      assert.ok(template, `${route.method} ${route.path} is not in the OpenAPI document`);
      const operation = doc.paths[template][route.method.toLowerCase()];
      if (route.authenticated) assert.ok(operation.security?.length, `${route.method} ${template} has no security`);
      const ref = operation.requestBody?.content['application/json']?.schema.$ref;
      if (ref) {
        const schema = doc.components.schemas[ref.split('/').pop()!];
        assert.ok(Object.keys(schema.properties ?? {}).length > 0, `${ref} documents no fields`);
        for (const [name, property] of Object.entries(schema.properties ?? {})) {
          assert.ok(property.type || property.$ref || property.allOf || property.enum, `${ref}.${name} has no type`);
        }
      }
    }
  });
});
