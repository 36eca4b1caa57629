// A webhook receiver built with the receiver toolkit: it verifies each delivery's signature over the raw body,
// refuses old timestamps, and handles each delivery once (delivery is at-least-once).
//
//   npm install @hookline/webhooks-receiver express
//   HOOKLINE_SECRET='whsec_…' PORT=4000 node examples/receiver.js
//
// It prints one JSON line per new delivery. During a secret rotation, set HOOKLINE_SECRET to the new and the
// old secret separated by a comma: deliveries signed with either are accepted.
const express = require('express');
const { MemoryDedupeStore, WebhookDeduplicator, webhookMiddleware } = require('@hookline/webhooks-receiver');

const secrets = (process.env.HOOKLINE_SECRET ?? '').split(',').filter(Boolean);
if (secrets.length === 0) {
  console.error('Set HOOKLINE_SECRET to the secret returned when the subscription was created.');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 4000);

// In production, a RedisDedupeStore shares what was handled between processes and restarts.
const dedupe = new WebhookDeduplicator(new MemoryDedupeStore());

const app = express();
// The middleware reads the raw body itself: mount no JSON parser before it on this route.
app.post('/hooks', webhookMiddleware({ secrets, toleranceSeconds: 300 }), async (req, res) => {
  const { webhookId, webhookEvent, attempt, data } = req.webhook;
  await dedupe.once(webhookId, () => console.log(JSON.stringify({ webhookId, webhookEvent, attempt, data })));
  res.sendStatus(204); // any 2xx is success
});
app.listen(port, () => console.error(`receiver listening on http://localhost:${port}`));
