import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { API_NODE_FLAGS } from '../apps/webhooks-host/src/launch';
import { ApiClient, ScratchEnvironment } from './support/hookline';
import { HooklineProcess } from './support/hookline-process';
import { scrapeMetrics } from './support/metrics';
import { TestReceiver } from './support/receiver';
import { waitUntil } from './support/wait';

interface RoleProcess {
  pid: number;
  url: string;
}

/** The api and worker processes the launcher's log announces (JSON lines: pid and "Role 'x' listening on URL"). */
function roleProcesses(log: string): Partial<Record<'api' | 'worker', RoleProcess>> {
  const found: Partial<Record<'api' | 'worker', RoleProcess>> = {};
  for (const line of log.split('\n')) {
    const match = line.match(/Role '(api|worker)' listening on (http:\/\/[^"\s]+)/);
    if (match) found[match[1] as 'api' | 'worker'] = { pid: (JSON.parse(line) as { pid: number }).pid, url: match[2] };
  }
  return found;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** launch.js (what `npm start` runs) without ROLE, its two processes announced; all stopped and cleaned up after. */
async function withLauncher(
  body: (launcher: HooklineProcess, roles: Record<'api' | 'worker', RoleProcess>, receiver: TestReceiver) => Promise<void>,
) {
  const env = new ScratchEnvironment();
  const receiver = await TestReceiver.start();
  let launcher: HooklineProcess | undefined;
  let roles: Partial<Record<'api' | 'worker', RoleProcess>> = {};
  try {
    launcher = await HooklineProcess.start(
      env,
      { ROLE: '' },
      { entry: 'launch.js', listening: /Role 'api' listening on (http:\/\/[^"\s]+)/ },
    );
    await waitUntil(() => (roles = roleProcesses(launcher!.log)).worker !== undefined, { timeoutMs: 60_000 });
    await body(launcher, roles as Record<'api' | 'worker', RoleProcess>, receiver);
  } finally {
    await launcher?.kill('SIGKILL');
    for (const { pid } of Object.values(roles)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await receiver.close();
    await env.drop();
  }
}

describe('npm start without ROLE: an api and a worker process under one launcher', () => {
  it('serves the API from the api process, sends from the worker process, and stops both on SIGTERM with exit 0', () =>
    withLauncher(async (launcher, { api, worker }, receiver) => {
      assert.notEqual(api.pid, worker.pid);
      // The api process runs with its own V8 flags; the worker with the launcher's.
      const flagsOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      for (const flag of API_NODE_FLAGS) {
        assert.ok(flagsOf(api.pid).includes(flag), `api: ${flag}`);
        assert.ok(!flagsOf(worker.pid).includes(flag), `worker: ${flag}`);
      }
      const client = new ApiClient(launcher.baseUrl);
      await client.subscribe({ webhookUri: receiver.url('/npm-start'), webhooks: ['order.created'] }, 't');
      const id = await client.publish({ webhookName: 'order.created', data: { n: 1 } }, 't');
      const [request] = await receiver.waitForRequests('/npm-start', 1);
      assert.equal(JSON.parse(request.body).id, id);
      // The worker process sent it; the api process sends nothing.
      await waitUntil(async () => (await scrapeMetrics(worker.url)).value('hookline_delivery_attempts_total') === 1);
      assert.equal((await scrapeMetrics(api.url)).value('hookline_delivery_attempts_total'), 0);
      assert.equal((await fetch(`${worker.url}/api/webhooks/subscriptions`)).status, 404, 'the worker serves no API');

      assert.deepEqual(await launcher.stop('SIGTERM'), { code: 0, signal: null });
      assert.equal(isAlive(api.pid), false);
      assert.equal(isAlive(worker.pid), false);
      assert.match(launcher.log, /SIGTERM received: shutting down[\s\S]*SIGTERM received: shutting down/);
    }));

  it('has both processes shut down when the launcher itself is killed', () =>
    withLauncher(async (launcher, { api, worker }) => {
      await launcher.kill('SIGKILL');
      await waitUntil(() => !isAlive(api.pid) && !isAlive(worker.pid), { timeoutMs: 30_000 });
    }));

  it('stops the other process and exits 1 when one of them dies', () =>
    withLauncher(async (launcher, { api, worker }) => {
      process.kill(worker.pid, 'SIGKILL');
      assert.deepEqual(await launcher.exited(), { code: 1, signal: null });
      assert.equal(isAlive(api.pid), false);
      assert.match(launcher.log, /The worker process ended \(SIGKILL\); stopping the other one/);
    }));
});
