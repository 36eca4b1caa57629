import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { WEBHOOK_NAME_REGEX } from '@hookline/webhooks-core';
import type { WebhookDefinition, WebhookGroupDefinition } from '@hookline/webhooks-core';

const NAME_RULE = "must be dotted words of letters, digits, '_' or '-' (at most 128 characters)";
export const MAX_REQUIRED_FEATURES = 20;

/** A group's or webhook's name: the rule of the definitions file. */
const WebhookNameProperty = (example: string) =>
  applyDecorators(
    ApiProperty({ example, maxLength: 128 }),
    IsString(),
    MaxLength(128),
    Matches(WEBHOOK_NAME_REGEX, { message: `name ${NAME_RULE}` }),
  );

const DisplayNameProperty = (example: string) =>
  applyDecorators(
    ApiPropertyOptional({ example, maxLength: 256, description: 'Defaults to the name.' }),
    IsOptional(),
    IsString(),
    Matches(/\S/, { message: 'displayName must not be blank' }),
    MaxLength(256),
  );

export class UpdateWebhookGroupDto {
  @DisplayNameProperty('Shipping')
  displayName?: string;
}

export class CreateWebhookGroupDto extends UpdateWebhookGroupDto {
  @WebhookNameProperty('shipping')
  name: string;
}

export class UpdateWebhookDefinitionDto {
  @ApiProperty({ example: 'shipping', description: 'An existing group: from code, the file or the API.' })
  @IsString()
  @MaxLength(128)
  groupName: string;

  @DisplayNameProperty('Shipment dispatched')
  displayName?: string;

  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  description?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['Shipping.Tracking'],
    description: 'Every one must be granted to a tenant for it to see, subscribe to or receive the webhook.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_REQUIRED_FEATURES)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, {
    each: true,
    message: "each value in requiredFeatures must be 1-128 letters, digits, '.', '_', ':' or '-'",
  })
  requiredFeatures?: string[];

  @ApiPropertyOptional({ default: true, description: 'False: offered to nobody, delivered to nobody.' })
  @IsOptional()
  @IsBoolean()
  isAvailable?: boolean;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "JSON Schema (draft 2020-12) of the events' `data`; publish answers 400 to data that breaks it. Omit for none.",
    example: { type: 'object', required: ['shipmentId'], properties: { shipmentId: { type: 'string' } } },
  })
  @IsOptional()
  @IsObject({ message: 'schema must be a JSON Schema object' })
  schema?: Record<string, unknown>;

  @ApiPropertyOptional({
    minimum: 1,
    description: 'Defaults to 1 for a new schema and to one more than the current version when the schema changes.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  schemaVersion?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'A `data` that satisfies the schema.' })
  @IsOptional()
  @IsObject({ message: 'example must be a JSON object' })
  example?: Record<string, unknown>;
}

export class CreateWebhookDefinitionDto extends UpdateWebhookDefinitionDto {
  @WebhookNameProperty('shipment.dispatched')
  name: string;
}

export const toDefinitionDto = (d: WebhookDefinition) => ({
  name: d.name,
  displayName: d.displayName,
  description: d.description ?? null,
  requiredFeatures: d.requiredFeatures,
  groupName: d.groupName,
  isAvailable: d.isAvailable,
  source: d.source,
  schema: d.schema ?? null,
  schemaVersion: d.schemaVersion ?? null,
  example: d.example ?? null,
});

export const toGroupDto = (g: WebhookGroupDefinition) => ({
  name: g.name,
  displayName: g.displayName,
  source: g.source,
  webhooks: g.webhooks.map(toDefinitionDto),
});
