import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { EventBus } from '@nestjs/cqrs';
import { WebhookPublisher, WebhooksEvent } from '@hookline/webhooks';
import { createHooklineApp } from '../apps/webhooks-host/src/bootstrap';
import { loadHooklineConfig } from '../apps/webhooks-host/src/config/hookline.config';
import type { AppCommand, MemoryReport, PublishCommand, PublishReport } from './bench-ipc';

/**
 * The service in its own process, configured from the environment like main.js (ROLE=api or worker), plus
 * what only code inside it can do: publish in-process (WebhookPublisher, or the CQRS EventBus at a steady
 * rate) and report its own peak memory.
 */
async function main(): Promise<void> {
  const config = loadHooklineConfig(process.env);
  const app = await createHooklineApp(config);
  let port: number | null = null;
  if (config.role === 'worker') {
    await app.init();
  } else {
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  }

  const publishWith = async (command: PublishCommand): Promise<PublishReport> => {
    const publisher = app.get(WebhookPublisher);
    const eventBus = app.get(EventBus);
    const input = (i: number) => ({
      webhookName: command.webhookName,
      data: command.data,
      tenantId: command.tenantIds[i % command.tenantIds.length],
    });
    const started = performance.now();
    let errors = 0;
    let firstError: string | null = null;
    if (command.via === 'publisher') {
      let next = 0;
      const loop = async () => {
        while (next < command.count) {
          const i = next++;
          try {
            await publisher.publish(input(i));
          } catch (e) {
            errors++;
            firstError ??= (e as Error).message;
          }
        }
      };
      await Promise.all(Array.from({ length: command.concurrency ?? 50 }, loop));
    } else {
      // A steady rate: every tick publishes the events due by then, so a late tick catches up.
      const rate = command.ratePerSecond ?? 100;
      let sent = 0;
      while (sent < command.count) {
        const due = Math.min(command.count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
        for (; sent < due; sent++) eventBus.publish(new WebhooksEvent(input(sent)));
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    return { elapsedMs: performance.now() - started, errors, firstError };
  };

  const memory = (): MemoryReport => {
    const { rss, heapUsed } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    return {
      cpuMs: (user + system) / 1000,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      rssMb: rss / 2 ** 20,
      heapUsedMb: heapUsed / 2 ** 20,
    };
  };

  process.on('message', (command: AppCommand) => {
    const answer = async () => {
      switch (command.type) {
        case 'publish':
          return { type: 'published', ...(await publishWith(command)) };
        case 'memory':
          return { type: 'memory', ...memory() };
        case 'stop':
          await app.close();
          process.send!({ type: 'stopped' }, () => process.exit(0));
          return null;
      }
    };
    answer().then(
      (m) => m && process.send!(m),
      (e: Error) => process.send!({ type: 'error', message: e.stack ?? e.message }),
    );
  });
  process.send!({ type: 'ready', port });
}

main().catch((e: Error) => {
  process.send?.({ type: 'error', message: e.stack ?? e.message });
  setTimeout(() => process.exit(1), 100);
});
