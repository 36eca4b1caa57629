import { DynamicModule, Module, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WEBHOOKS_DEFINITIONS_FILE, WebhookDefinitionManager } from './definitions/webhook-definition-manager';
import {
  ConfigWebhookFeatureChecker,
  FeatureGrants,
  WEBHOOKS_FEATURE_GRANTS,
  WebhookFeatureChecker,
} from './features/webhook-feature-checker';
import { DEFAULT_WEBHOOKS_OPTIONS, WEBHOOKS_OPTIONS, WebhooksOptions } from './options/webhooks-options';
import { HeaderRedactor } from './payload/webhook-headers';
import { EncryptionKey, SecretCipher } from './secrets/secret-cipher';
import { WebhookDataSchemas } from './schemas/webhook-data-schemas';
import { DefaultWebhookSigner, WebhookSigner } from './signing/webhook-signer';

export interface WebhooksCoreModuleOptions {
  options?: Partial<WebhooksOptions>;
  /** A YAML or JSON file of webhook groups and definitions, loaded beside those of code providers. */
  definitionsFile?: string | null;
  /** Grants read by the default feature checker; none means every feature is granted. */
  featureGrants?: FeatureGrants | null;
  /** Keys that encrypt secrets at rest, newest first; none: secrets are stored as given. */
  encryptionKeys?: readonly EncryptionKey[];
  /** Replaceable parts (ABP style): swap one without forking the module. */
  featureChecker?: Type<WebhookFeatureChecker>;
  signer?: Type<WebhookSigner>;
}

/**
 * Definitions, options, features, signing and secret encryption: what every other webhooks module builds on.
 * The application creates it once and hands that module to each module that depends on it.
 */
@Module({})
export class WebhooksCoreModule {
  static forRoot(config: WebhooksCoreModuleOptions = {}): DynamicModule {
    const options: WebhooksOptions = { ...DEFAULT_WEBHOOKS_OPTIONS, ...config.options };
    return {
      module: WebhooksCoreModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: WEBHOOKS_OPTIONS, useValue: options },
        { provide: HeaderRedactor, useValue: new HeaderRedactor(options.redactedHeaderWords) },
        { provide: WEBHOOKS_DEFINITIONS_FILE, useValue: config.definitionsFile ?? null },
        { provide: WEBHOOKS_FEATURE_GRANTS, useValue: config.featureGrants ?? null },
        { provide: WebhookFeatureChecker, useClass: config.featureChecker ?? ConfigWebhookFeatureChecker },
        { provide: WebhookSigner, useClass: config.signer ?? DefaultWebhookSigner },
        { provide: SecretCipher, useValue: new SecretCipher(config.encryptionKeys ?? []) },
        WebhookDataSchemas,
        WebhookDefinitionManager,
      ],
      exports: [
        WEBHOOKS_OPTIONS,
        HeaderRedactor,
        WebhookFeatureChecker,
        WebhookSigner,
        SecretCipher,
        WebhookDataSchemas,
        WebhookDefinitionManager,
      ],
    };
  }
}
