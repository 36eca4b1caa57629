import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { PORTAL_SESSION_OPTIONS, PortalSessionOptions } from '../auth/portal-sessions/portal-session.options';
import { PortalSessionService } from '../auth/portal-sessions/portal-session.service';
import { portalSetCookie, readPortalCookie } from '../auth/portal-sessions/portal-cookie';
import { WebhooksPermissions } from '../auth/webhooks-permissions';
import { RefusedCredentialLimit } from '../auth/webhooks-rate-limit.guard';
import { CurrentPrincipal, RequirePermissions, WebhooksPrincipal } from '../auth/webhooks-principal';
import { CreatePortalSessionDto, CreatedPortalSessionDto, PortalSessionDto, toPortalSessionDto } from './dto/portal-session.dto';
import { UnauthenticatedWebhooksApi, WebhooksApi } from './webhooks-api.decorator';

/** Where the portal is served; the token rides in the fragment, which browsers never send to a server. */
const PORTAL_PATH = '/portal/';

/** The host opens portal sessions here; the portal's page exchanges the one-time token for its cookie. */
@ApiTags('Portal sessions')
@Controller('api/webhooks/portal-sessions')
@WebhooksApi()
export class WebhookPortalSessionsController {
  constructor(
    private readonly sessions: PortalSessionService,
    @Inject(PORTAL_SESSION_OPTIONS) private readonly options: PortalSessionOptions,
  ) {}

  /** 201 with the portal's URL: the one-time token in it is shown this once only. */
  @Post()
  @RequirePermissions(WebhooksPermissions.PortalSessions)
  @ApiCreatedResponse({ type: CreatedPortalSessionDto })
  async create(
    @CurrentPrincipal() caller: WebhooksPrincipal,
    @Body() dto: CreatePortalSessionDto,
    @Req() request: Request,
  ): Promise<CreatedPortalSessionDto> {
    const { session, token } = await this.sessions.create(caller, dto);
    const base = this.options.publicUrl ?? `${request.protocol}://${request.get('host')}`;
    return { ...toPortalSessionDto(session), url: `${base}${PORTAL_PATH}#token=${token}`, token };
  }

  /** Who the caller is: the portal reads its tenant and permissions here. */
  @Get('current')
  current(@CurrentPrincipal() caller: WebhooksPrincipal) {
    return { kind: caller.kind, tenantId: caller.credentialTenantId, permissions: [...caller.permissions] };
  }

  /** Ends the caller's portal session (signs out) and clears its cookie. */
  @Delete('current')
  @HttpCode(204)
  async end(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    const sessionToken = readPortalCookie(request.headers.cookie);
    if (sessionToken) await this.sessions.end(sessionToken);
    response.setHeader('Set-Cookie', portalSetCookie(this.options, null, new Date()));
  }
}

/** The exchange needs no credential but the one-time token itself. */
@ApiTags('Portal sessions')
@Controller('api/webhooks/portal-sessions')
@UnauthenticatedWebhooksApi()
export class WebhookPortalSessionExchangeController {
  constructor(
    private readonly sessions: PortalSessionService,
    @Inject(PORTAL_SESSION_OPTIONS) private readonly options: PortalSessionOptions,
    private readonly refusals: RefusedCredentialLimit,
  ) {}

  /**
   * Swaps the URL's one-time token for the session cookie; a used, expired or unknown token answers 401, and
   * counts as a refused credential of the client's address.
   */
  @Post('exchange')
  @HttpCode(200)
  @ApiOkResponse({ type: PortalSessionDto })
  async exchange(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PortalSessionDto> {
    const token = (body as { token?: unknown } | undefined)?.token;
    const retryAfter = (seconds: number) => response.setHeader('Retry-After', String(seconds));
    const exchanged = await this.refusals.check(request.ip, retryAfter, async () => {
      if (typeof token !== 'string')
        throw new UnauthorizedException('Missing credential: send { "token": <the token from the portal URL> }.');
      const found = await this.sessions.exchange(token);
      if (!found) throw new UnauthorizedException('The portal link is unknown, already used or expired: ask for a new one.');
      return found;
    });
    response.setHeader('Set-Cookie', portalSetCookie(this.options, exchanged.sessionToken, exchanged.session.expiresAt));
    return toPortalSessionDto(exchanged.session);
  }
}
