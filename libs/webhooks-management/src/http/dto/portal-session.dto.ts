import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { TENANT_ID_RULE, isValidTenantId } from '@hookline/webhooks-core';
import type { PortalSession } from '../../domain/ports/portal-session.store';
import {
  DEFAULT_PORTAL_SESSION_SECONDS,
  MAX_PORTAL_SESSION_SECONDS,
  MIN_PORTAL_SESSION_SECONDS,
  TENANT_PORTAL_PERMISSIONS,
} from '../../auth/portal-sessions/portal-session.service';
import { ALL_WEBHOOKS_PERMISSIONS } from '../../auth/webhooks-permissions';

export class CreatePortalSessionDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "The tenant whose portal opens; null opens the host's admin console. Omitted: the caller's acting tenant",
  })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @ValidateBy({
    name: 'isTenantId',
    validator: { validate: isValidTenantId, defaultMessage: () => `tenantId ${TENANT_ID_RULE}` },
  })
  tenantId?: string | null;

  @ApiPropertyOptional({
    description: 'How long the link and then the session work',
    minimum: MIN_PORTAL_SESSION_SECONDS,
    maximum: MAX_PORTAL_SESSION_SECONDS,
    default: DEFAULT_PORTAL_SESSION_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_PORTAL_SESSION_SECONDS)
  @Max(MAX_PORTAL_SESSION_SECONDS)
  expiresInSeconds?: number;

  @ApiPropertyOptional({
    description:
      `What the session may do; only permissions the caller holds. Default for a tenant: ${TENANT_PORTAL_PERMISSIONS.join(', ')}. ` +
      'Read-only: Webhooks.Subscriptions, Webhooks.SendAttempts, Webhooks.Definitions',
    enum: ALL_WEBHOOKS_PERMISSIONS,
    isArray: true,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ALL_WEBHOOKS_PERMISSIONS.length)
  @IsIn(ALL_WEBHOOKS_PERMISSIONS, {
    each: true,
    message: `each value in permissions must be one of: ${ALL_WEBHOOKS_PERMISSIONS.join(', ')}`,
  })
  permissions?: string[];
}

export class PortalSessionDto {
  @ApiProperty({ type: String, nullable: true }) tenantId: string | null;
  @ApiProperty({ type: [String] }) permissions: string[];
  @ApiProperty() expiresAt: Date;
}

export class CreatedPortalSessionDto extends PortalSessionDto {
  @ApiProperty({ description: 'Open it (or put it in an iframe); the token in it works once' }) url: string;
  @ApiProperty({ description: 'The one-time token in the URL' }) token: string;
}

export const toPortalSessionDto = (s: PortalSession): PortalSessionDto => ({
  tenantId: s.tenantId,
  permissions: s.permissions,
  expiresAt: s.expiresAt,
});
