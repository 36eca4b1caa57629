import { DiscoveryService } from '@nestjs/core';
import type { WebhookDefinitionContext } from './webhook-definition';

/**
 * Implemented by any provider that contributes webhook definitions (ABP's WebhookDefinitionProvider).
 * Mark the class with @WebhookDefinitionProvider() and register it as a provider in any module: the
 * definition manager discovers it at start-up.
 */
export interface IWebhookDefinitionProvider {
  define(context: WebhookDefinitionContext): void | Promise<void>;
}

export const WebhookDefinitionProvider = DiscoveryService.createDecorator<void>();
