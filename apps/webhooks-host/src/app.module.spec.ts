import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GLOBAL_MODULE_METADATA } from '@nestjs/common/constants';
import type { DynamicModule, Type } from '@nestjs/common';
import { AppModule } from './app.module';
import { loadHooklineConfig } from './config/hookline.config';

type Import = Type | DynamicModule | Promise<DynamicModule>;

/** Our own modules in the tree under `root` (libraries' modules, such as Bull's or TypeORM's, are theirs to shape). */
function ownModules(root: DynamicModule): DynamicModule[] {
  const seen = new Set<DynamicModule>();
  const visit = (m: Import) => {
    if (m instanceof Promise || !('module' in m) || seen.has(m)) return;
    seen.add(m);
    (m.imports ?? []).forEach((i) => visit(i as Import));
  };
  visit(root);
  return [...seen].filter((m) => /^(Webhooks|Operations|HooklineMetrics|App)/.test(m.module.name));
}

/** The guide's rule, ABP's way: each module declares what it depends on; none is global. */
describe('module wiring', () => {
  for (const role of ['all', 'api', 'worker']) {
    it(`has no global module of ours (ROLE=${role})`, () => {
      const modules = ownModules(AppModule.forRoot(loadHooklineConfig({ ROLE: role, RABBITMQ_URL: 'amqp://127.0.0.1' })));
      assert.ok(modules.length >= 6, modules.map((m) => m.module.name).join(', '));
      for (const m of modules) {
        assert.notEqual(m.global, true, `${m.module.name} is global`);
        assert.notEqual(Reflect.getMetadata(GLOBAL_MODULE_METADATA, m.module), true, `${m.module.name} is @Global()`);
      }
    });
  }
});
