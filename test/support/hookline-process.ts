import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { ScratchEnvironment, hooklineSettings } from './hookline';

/**
 * The service as its own OS process (the compiled main.js), for what only a real process shows: being
 * killed with SIGKILL in the middle of a delivery.
 */
export class HooklineProcess {
  private output = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** Starts main.js and waits until it is listening. */
  static async start(env: ScratchEnvironment, settings: Record<string, string> = {}): Promise<HooklineProcess> {
    const main = resolve(__dirname, '../../apps/webhooks-host/src/main.js');
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...hooklineSettings(env, { PORT: '0', LOG_LEVEL: 'log', LOG_FORMAT: 'json', ...settings }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const hookline = new HooklineProcess(child);
    const deadline = Date.now() + 20_000;
    while (!hookline.output.includes('listening on')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`main.js did not start:\n${hookline.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return hookline;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    await exited;
  }
}
