/**
 * Entry point of a component thread (see component-thread.ts): starts the component named in
 * workerData, sends its log lines to the server's logger, and stops it when told to.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, type LogLevel } from '../util/logger.js';
import { startControllerManager, startScheduler, startSimNodes } from './components.js';
import type { ControlMessage, ThreadData, ThreadMessage } from './component-thread.js';

const port = parentPort;
if (!port) throw new Error('component-thread-main.js runs only as a worker thread');
const post = (m: ThreadMessage) => port.postMessage(m);

const { spec, credentials, logLevel } = workerData as ThreadData;
const logger = createLogger(
  {},
  {
    level: logLevel,
    // Lines are re-emitted by the server's logger with its own fields; the line's `ts` rides
    // along as a field, and so keeps the moment the component logged it.
    write: (line) => {
      const { level, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
      post({ type: 'log', level: level as LogLevel, msg: String(msg), fields });
    },
  },
);

async function start(): Promise<{ stop(): Promise<void> }> {
  switch (spec.kind) {
    case 'controller-manager': {
      const { kind: _kind, ...settings } = spec;
      return startControllerManager({ credentials, logger, leaderElection: false, ...settings });
    }
    case 'scheduler':
      return startScheduler({ credentials, logger, leaderElection: false });
    case 'sim':
      return startSimNodes({ credentials, logger, nodes: spec.nodes, prefix: spec.prefix, heartbeatIntervalMs: spec.heartbeatIntervalMs });
  }
}

try {
  const running = await start();
  let stopping: Promise<void> | undefined;
  port.on('message', (m: ControlMessage) => {
    if (m.type !== 'stop') return;
    stopping ??= running
      .stop()
      .catch((err: Error) => logger.error('stopping failed', { err: err.message }))
      .finally(() => {
        post({ type: 'stopped' });
        port.close();
      });
  });
  post({ type: 'started' });
} catch (err) {
  post({ type: 'failed', message: (err as Error).message });
  throw err;
}
