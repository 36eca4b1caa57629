// A webhook receiver that verifies both of Hookline's signatures and ignores duplicates.
//
//   HOOKLINE_SECRET='whsec_…' PORT=4000 node examples/receiver.js
//
// It prints one JSON line per new delivery. Copy what you need: the raw body is verified before any
// JSON parsing, the timestamp must be recent, and deliveries are deduplicated on webhook-id
// (delivery is at-least-once). Needs the `standardwebhooks` npm package.
const http = require('node:http');
const { createHmac, timingSafeEqual } = require('node:crypto');
const { Webhook } = require('standardwebhooks');

const secret = process.env.HOOKLINE_SECRET;
if (!secret) {
  console.error('Set HOOKLINE_SECRET to the secret returned when the subscription was created.');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 4000);

// Standard Webhooks: a whsec_ secret is used as is; any other secret keys the HMAC with its raw bytes,
// which the library expects in base64.
const standardWebhooks = new Webhook(secret.startsWith('whsec_') ? secret : Buffer.from(secret, 'utf8').toString('base64'));

// ABP: `sha256=` + hex HMAC-SHA256 of the raw body, keyed by the UTF-8 bytes of the whole secret.
function abpSignatureValid(rawBody, header) {
  const expected = Buffer.from('sha256=' + createHmac('sha256', Buffer.from(secret, 'utf8')).update(rawBody).digest('hex'));
  const given = Buffer.from(String(header ?? ''));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const seen = new Set(); // a persistent store in production

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      try {
        standardWebhooks.verify(raw.toString('utf8'), req.headers); // also rejects timestamps older than 5 minutes
      } catch (e) {
        console.error(`rejected: ${e.message}`);
        return res.writeHead(401).end();
      }
      if (!abpSignatureValid(raw, req.headers['abp-webhook-signature'])) {
        console.error('rejected: bad abp-webhook-signature');
        return res.writeHead(401).end();
      }
      const webhookId = req.headers['webhook-id'];
      if (!seen.has(webhookId)) {
        seen.add(webhookId);
        const payload = JSON.parse(raw.toString('utf8'));
        console.log(JSON.stringify({ webhookId, webhookEvent: payload.webhookEvent, attempt: payload.attempt, data: payload.data }));
      }
      res.writeHead(204).end(); // any 2xx is success
    });
  })
  .listen(port, () => console.error(`receiver listening on http://localhost:${port}`));
