import http from 'node:http';
import type { Socket } from 'node:net';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';

/**
 * Nest's Express adapter with an HTTP server that builds each request and response on Express's prototypes
 * from the start. Express otherwise changes both objects' prototypes as it takes each request in
 * (`Object.setPrototypeOf`), and V8 then makes new hidden classes for every request's objects, in the old
 * generation, and moves much of each request's short-lived memory there as well: the old generation fills
 * with each request's garbage, and its collections pause the process far longer than the young generation's.
 * Given the prototype an object already has, Express's `setPrototypeOf` changes nothing.
 */
export class HooklineExpressAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    super.initHttpServer(options);
    // Nest's own server where it does more with it than serve plain HTTP.
    if (options?.httpsOptions || options?.forceCloseConnections) return;
    const app = this.getInstance<Express>();
    this.setHttpServer(http.createServer(expressServerOptions(app), app));
  }
}

/** The options of an HTTP server whose requests and responses are born with `app`'s prototypes. */
export function expressServerOptions(app: Express): http.ServerOptions {
  // Plain constructors calling Node's (themselves plain functions): each keeps one hidden class for what it builds.
  function Request(this: http.IncomingMessage, socket: Socket): void {
    Reflect.apply(http.IncomingMessage, this, [socket]);
  }
  Request.prototype = app.request;
  function Response(this: http.ServerResponse, request: http.IncomingMessage, options?: object): void {
    Reflect.apply(http.ServerResponse, this, [request, options]);
  }
  Response.prototype = app.response;
  return {
    IncomingMessage: Request as unknown as typeof http.IncomingMessage,
    ServerResponse: Response as unknown as typeof http.ServerResponse,
  };
}
