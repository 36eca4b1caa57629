import { ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

/** Messages between the benchmark and its child processes (the receiver and the service processes). */
export type ReceiverCommand = { type: 'reset'; failRate: number; recordLatency: boolean } | { type: 'stats' } | { type: 'stop' };

export interface ReceiverStats {
  requests: number;
  /** Answered 500 on purpose. */
  failed: number;
  /** Requests carrying attempt 1. */
  firstAttempts: number;
  /** Distinct webhook-ids (delivery ids) answered 200. */
  succeededIds: number;
  /** Publish-to-first-attempt, when recording was asked for. */
  latenciesMs: number[];
  firstAt: number | null;
  lastAt: number | null;
  /** Requests to the other paths (see receiver-process.ts), by path, when each arrived. */
  otherPaths: Record<string, number[]>;
}

export interface PublishCommand {
  type: 'publish';
  /** 'publisher': WebhookPublisher.publish awaited, `concurrency` at a time; 'bus': EventBus at `ratePerSecond`. */
  via: 'publisher' | 'bus';
  count: number;
  concurrency?: number;
  ratePerSecond?: number;
  /** Events go to these tenants in turn. */
  tenantIds: string[];
  webhookName: string;
  data: object;
}

export type AppCommand = PublishCommand | { type: 'memory' } | { type: 'stop' };

export interface PublishReport {
  elapsedMs: number;
  errors: number;
  firstError: string | null;
}

export interface MemoryReport {
  /** Peak resident set size of the process so far. */
  maxRssMb: number;
  rssMb: number;
  heapUsedMb: number;
  /** CPU time the process used so far (user + system): robust on a shared machine, where wall time is not. */
  cpuMs: number;
}

/** A forked child that answers each command with one message. */
export class ChildHandle {
  private readonly messages: { type: string; [k: string]: any }[] = [];
  private waiter: (() => void) | null = null;
  private output = '';

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { type: string }) => {
      this.messages.push(m);
      this.waiter?.();
    });
    child.stdout?.on('data', (c: Buffer) => (this.output = (this.output + c.toString()).slice(-20_000)));
    child.stderr?.on('data', (c: Buffer) => (this.output = (this.output + c.toString()).slice(-20_000)));
    child.on('exit', () => this.waiter?.());
  }

  static async start(
    script: string,
    env: Record<string, string>,
    execArgv: string[] = [],
    timeoutMs = 60_000,
  ): Promise<{ handle: ChildHandle; ready: any }> {
    const child = fork(script, [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const handle = new ChildHandle(child);
    const ready = await handle.next('ready', timeoutMs);
    return { handle, ready };
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Recent output of the child, for error messages. */
  get recentOutput(): string {
    return this.output;
  }

  async request<T = any>(command: object, answer: string, timeoutMs = 30 * 60_000): Promise<T> {
    this.child.send(command);
    return this.next(answer, timeoutMs);
  }

  /** Waits for the next message of this type (an 'error' message fails it). */
  async next(type: string, timeoutMs: number): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type || m.type === 'error');
      if (i >= 0) {
        const [m] = this.messages.splice(i, 1);
        if (m.type === 'error') throw new Error(`child process failed: ${m.message}`);
        return m;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`child process exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.output}`);
      }
      if (Date.now() > deadline) throw new Error(`no '${type}' from the child within ${timeoutMs} ms:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1000, Math.max(1, deadline - Date.now())));
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = null;
          resolve();
        };
      });
    }
  }

  /** Asks the child to stop; kills it if it does not within the grace time. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
