import type { INestApplication } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { HOST_ONLY, REQUIRED_PERMISSIONS, WebhooksAuthGuard } from '@hookline/webhooks-management';

export interface ApiRoute {
  method: string;
  /** As declared, e.g. `/api/webhooks/subscriptions/:id`. */
  template: string;
  /** With every `:param` replaced by a fresh UUID. */
  path: string;
  permissions: string[];
  hostOnly: boolean;
  /** Behind WebhooksAuthGuard (a bearer credential or a portal session); false for the portal token exchange. */
  authenticated: boolean;
}

/** Every route of the webhooks API as the running application registered it, with its permissions. */
export function webhooksApiRoutes(app: INestApplication): ApiRoute[] {
  const discovery = app.get(DiscoveryService, { strict: false });
  const reflector = app.get(Reflector, { strict: false });
  const scanner = new MetadataScanner();
  const routes: ApiRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
    if (!controller) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    if (!base.startsWith('api/webhooks')) continue;
    const authenticated = ((Reflect.getMetadata(GUARDS_METADATA, controller) ?? []) as unknown[]).includes(WebhooksAuthGuard);
    for (const name of scanner.getAllMethodNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, () => unknown>)[name];
      const method: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
      if (method === undefined) continue;
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const path = `/${base}/${sub}`.replace(/\/+$/, '').replace(/\/+/g, '/');
      routes.push({
        method: RequestMethod[method],
        template: path,
        path: path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000'),
        permissions: reflector.getAllAndMerge<string[]>(REQUIRED_PERMISSIONS, [handler, controller]) ?? [],
        hostOnly: reflector.getAllAndOverride<boolean>(HOST_ONLY, [handler, controller]) ?? false,
        authenticated,
      });
    }
  }
  return routes;
}
