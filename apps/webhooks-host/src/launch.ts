import { ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { HooklineEnvironment } from './config/hookline.config';

/** The roles `npm start` runs side by side when ROLE is not set, each in a process of its own. */
const SPLIT_ROLES = ['api', 'worker'] as const;

/**
 * V8 flags of the api process: a larger young generation, since each request leaves short-lived garbage
 * (the parsed body, the DTO, the statements' parameters) that a small one promotes and collects more often.
 */
export const API_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/**
 * The worker's port for /health and /metrics: the one after the API's, or any free one when the API takes
 * any free one (PORT=0). A PORT that is not a number is passed on as it is, for the configuration to refuse.
 */
export function workerPort(apiPort: string | undefined): string {
  const given = apiPort ?? String(new HooklineEnvironment().PORT);
  const port = Number(given);
  if (!Number.isInteger(port) || given.trim() === '') return given;
  return port === 0 ? '0' : String(port + 1);
}

/**
 * What `npm start` runs. With ROLE set, that one role in this process, as main.js. Without it, an `api` and
 * a `worker` process (main.js with ROLE set), so sending never waits behind request handling on one event loop:
 * the API on PORT, the worker on the next port. SIGTERM and SIGINT are passed on to both, and the launcher exits
 * once both have, non-zero unless both exited 0. When one ends on its own, the other is stopped and the
 * launcher exits 1, so a supervisor restarts the pair.
 */
function launch(): void {
  if (process.env.ROLE) {
    void import('./main');
    return;
  }
  const main = resolve(__dirname, 'main.js');
  const children = SPLIT_ROLES.map((role) => ({
    role,
    process: fork(main, [], {
      env: { ...process.env, ROLE: role, PORT: role === 'api' ? process.env.PORT : workerPort(process.env.PORT) },
      execArgv: role === 'api' ? [...process.execArgv, ...API_NODE_FLAGS] : process.execArgv,
      // A group of its own: a terminal's Ctrl-C reaches the children once, through the launcher.
      detached: true,
    }),
  }));
  let stopping = false;
  let failed = false;
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const child of children) if (isRunning(child.process)) child.process.kill(signal);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(signal));
  for (const { role, process: child } of children) {
    child.once('exit', (code, signal) => {
      if (code !== 0) failed = true;
      if (!stopping) {
        console.error(`The ${role} process ended (${signal ?? `exit code ${code}`}); stopping the other one`);
        failed = true;
        stop('SIGTERM');
      }
      if (children.every((c) => !isRunning(c.process))) process.exit(failed ? 1 : 0);
    });
  }
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

if (require.main === module) launch();
