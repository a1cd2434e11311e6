/**
 * The components `peapod server` runs "in-process" (controller manager, scheduler, simulated
 * nodes), each on a worker thread of its own: same process and lifetime as the server, but its
 * own event loop, so they use the machine's other cores instead of taking turns with the API
 * server on one. They still reach the cluster only through the API (the server's unix socket).
 *
 * A thread that dies (an uncaught error in a component) is started again after a back-off, as a
 * supervisor restarts a component process; its log lines go through the server's logger.
 */
import { Worker } from 'node:worker_threads';
import type { Logger, LogLevel } from '../util/logger.js';
import type { ControllerSettings, Credentials } from './components.js';

/** What one thread runs; plain data, since it crosses to the worker by structured clone. */
export type ComponentSpec =
  | ({ kind: 'controller-manager' } & ControllerSettings)
  | { kind: 'scheduler' }
  | { kind: 'sim'; nodes: number; prefix: string; heartbeatIntervalMs?: number };

export interface ThreadData {
  spec: ComponentSpec;
  credentials: Credentials;
  logLevel: LogLevel;
}

/** Messages from a component thread. */
export type ThreadMessage =
  | { type: 'started' }
  | { type: 'stopped' }
  | { type: 'log'; level: LogLevel; msg: string; fields: Record<string, unknown> }
  | { type: 'failed'; message: string };

/** Messages to a component thread. */
export type ControlMessage = { type: 'stop' };

export interface ComponentThread {
  /** Stops the component (its writes finish, its nodes stop heartbeating), then the thread. */
  stop(): Promise<void>;
  /** How many times the thread ended on its own and was started again. */
  restarts(): number;
  /** Whether the component runs now (false between a thread's end and its restart). */
  running(): boolean;
  /** The thread running the component now (for diagnostics and tests). */
  current(): Worker;
}

const threadEntry = new URL('./component-thread-main.js', import.meta.url);
const restartBackoffMs = { initial: 1000, max: 30_000 };
/** How long a stopping component may take before its thread is terminated anyway. */
const stopTimeoutMs = 15_000;

function levelOf(log: Logger): LogLevel {
  for (const l of ['debug', 'info', 'warn', 'error'] as const) if (log.enabled(l)) return l;
  return 'error';
}

/**
 * Starts `spec` on a worker thread and resolves once the component has started (for simulated
 * nodes: registered), or rejects with the thread's error if it could not start.
 */
export async function startComponentThread(spec: ComponentSpec, credentials: Credentials, log: Logger): Promise<ComponentThread> {
  const data: ThreadData = { spec, credentials, logLevel: levelOf(log) };
  let worker: Worker;
  let stopping = false;
  let backoff = restartBackoffMs.initial;
  let restartTimer: NodeJS.Timeout | undefined;
  let exited: Promise<void> = Promise.resolve();
  let restarts = 0;
  let running = false;

  const spawn = (onStarted?: (err?: Error) => void) => {
    const w = new Worker(threadEntry, { workerData: data, name: `peapod-${spec.kind}` });
    worker = w;
    let started = false;
    let failure: string | undefined;
    w.on('message', (m: ThreadMessage) => {
      switch (m.type) {
        case 'log':
          log[m.level](m.msg, m.fields);
          break;
        case 'started':
          started = true;
          running = true;
          backoff = restartBackoffMs.initial;
          onStarted?.();
          break;
        case 'failed':
          failure = m.message;
          break;
        case 'stopped':
          break;
      }
    });
    w.on('error', (err) => {
      failure = err.message;
      log.error('component thread failed', { thread: spec.kind, err: err.message, stack: err.stack });
    });
    exited = new Promise<void>((resolve) => {
      w.once('exit', (code) => {
        running = false;
        resolve();
        if (stopping) return;
        const why = failure ?? `exit code ${code}`;
        if (!started && onStarted) {
          onStarted(new Error(`${spec.kind} thread could not start: ${why}`));
          return;
        }
        log.error('component thread ended; starting it again', { thread: spec.kind, reason: why, inMs: backoff });
        restarts++;
        restartTimer = setTimeout(() => spawn(), backoff);
        backoff = Math.min(backoff * 2, restartBackoffMs.max);
      });
    });
  };

  await new Promise<void>((resolve, reject) => spawn((err) => (err ? reject(err) : resolve())));

  return {
    restarts: () => restarts,
    running: () => running,
    current: () => worker,
    async stop() {
      if (stopping) return exited;
      stopping = true;
      clearTimeout(restartTimer);
      const w = worker;
      const stopped = new Promise<void>((resolve) => {
        const onMessage = (m: ThreadMessage) => {
          if (m.type === 'stopped') resolve();
        };
        w.on('message', onMessage);
        w.once('exit', () => resolve());
      });
      w.postMessage({ type: 'stop' } satisfies ControlMessage);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        stopped.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), stopTimeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) log.warn('component did not stop in time; ending its thread', { thread: spec.kind, afterMs: stopTimeoutMs });
      await w.terminate();
      await exited;
    },
  };
}
