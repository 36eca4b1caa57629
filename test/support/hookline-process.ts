import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { ScratchEnvironment, hooklineSettings } from './hookline';

/**
 * The service as its own OS process (the compiled main.js), for what only a real process shows: being
 * killed with SIGKILL in the middle of a delivery, or stopping on SIGTERM.
 */
export class HooklineProcess {
  private output = '';
  /** Where it listens (it is started on a free port). */
  baseUrl = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /**
   * Starts `entry` (main.js, or launch.js as `npm start` runs it) and waits until its log says `listening`,
   * whose first group is the URL to call.
   */
  static async start(
    env: ScratchEnvironment,
    settings: Record<string, string> = {},
    { entry = 'main.js', listening = /listening on (http:\/\/[^"\s]+)/ }: { entry?: string; listening?: RegExp } = {},
  ): Promise<HooklineProcess> {
    const main = resolve(__dirname, '../../apps/webhooks-host/src', entry);
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...hooklineSettings(env, { PORT: '0', LOG_LEVEL: 'log', LOG_FORMAT: 'json', ...settings }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const hookline = new HooklineProcess(child);
    // Generous: a start-up on a loaded 2-core machine has been seen to take over 20 s.
    const deadline = Date.now() + 60_000;
    let found: RegExpMatchArray | null;
    while (!(found = hookline.output.match(listening))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${entry} did not start:\n${hookline.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    hookline.baseUrl = found[1];
    return hookline;
  }

  /** Everything it wrote to stdout and stderr so far. */
  get log(): string {
    return this.output;
  }

  /** Sends `signal` and resolves with how the process ended: its exit code, or the signal that ended it. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill(signal);
      await exited;
    }
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** Resolves with how the process ended, once it has, without sending it anything. */
  async exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) await once(this.child, 'exit');
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.stop(signal);
  }
}
