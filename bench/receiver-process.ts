import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceiverCommand, ReceiverStats } from './bench-ipc';

/**
 * The benchmark's receiver, in its own process so its work is not on the service's event loop: answers
 * every POST at once (200, or 500 for a chosen share of answers), counts requests and the distinct
 * webhook-ids answered 200, and, when asked, the publish-to-first-attempt latency of each delivery
 * (its receive time against the envelope's creationTimeUtc; both clocks are this machine's). All of that is
 * for its main path, /bench. The isolation stage's other endpoints live on other paths: /hang never answers
 * (the service's timeout ends the request), any other path answers 200 at once; for those only each request's
 * arrival time is kept, by path.
 */
let failRate = 0;
let recordLatency = false;
let requests = 0;
let failed = 0;
let firstAttempts = 0;
let succeededIds = new Set<string>();
let latenciesMs: number[] = [];
let firstAt: number | null = null;
let lastAt: number | null = null;
let otherPaths: Record<string, number[]> = {};

const CREATION_TIME_FIELD = '"creationTimeUtc":"';
/** Set in `data` by a load process that stamps each publish as it sends it (the ingest stage). */
const SENT_AT_FIELD = '"benchSentAtMs":';

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    // The query string tells endpoints of one path apart (one subscription per URI and event).
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/bench') {
      (otherPaths[path] ??= []).push(now);
      if (path === '/hang') return;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
      return;
    }
    requests++;
    firstAt ??= now;
    lastAt = now;
    const fail = failRate > 0 && Math.random() < failRate;
    if (fail) failed++;
    else succeededIds.add(String(req.headers['webhook-id']));
    const body = Buffer.concat(chunks).toString('utf8');
    // The envelope is {"id":..,"webhookEvent":..,"attempt":N,"data":..,"creationTimeUtc":".."}: read it without parsing.
    if (body.includes('"attempt":1,"data"')) {
      firstAttempts++;
      if (recordLatency) latenciesMs.push(now - publishedAt(body));
    }
    res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
});

/** When the event was published: the load process's stamp if it set one, else the envelope's creation time. */
function publishedAt(body: string): number {
  const sent = body.indexOf(SENT_AT_FIELD);
  if (sent >= 0) return parseInt(body.slice(sent + SENT_AT_FIELD.length, sent + SENT_AT_FIELD.length + 20), 10);
  const at = body.lastIndexOf(CREATION_TIME_FIELD);
  return Date.parse(body.slice(at + CREATION_TIME_FIELD.length, body.length - 2));
}

function stats(): ReceiverStats {
  return { requests, failed, firstAttempts, succeededIds: succeededIds.size, latenciesMs, firstAt, lastAt, otherPaths };
}

process.on('message', (command: ReceiverCommand) => {
  switch (command.type) {
    case 'reset':
      failRate = command.failRate;
      recordLatency = command.recordLatency;
      requests = failed = firstAttempts = 0;
      succeededIds = new Set();
      latenciesMs = [];
      otherPaths = {};
      firstAt = lastAt = null;
      process.send!({ type: 'ok' });
      break;
    case 'stats':
      process.send!({ type: 'stats', stats: stats() });
      break;
    case 'stop':
      server.closeAllConnections();
      server.close(() => process.exit(0));
      break;
  }
});

server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port }));
