/**
 * The single `peapod` binary. Subcommands:
 *   server              the control plane: API server + store, with the controller manager and
 *                       scheduler in-process unless told otherwise
 *   controller-manager  the controllers as their own process, given a kubeconfig
 *   scheduler           the scheduler as its own process, given a kubeconfig
 *   sim                 simulated nodes against any cluster, until stopped
 *   up                  the quick-start cluster (what `npm start` runs)
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createLogger, type Logger } from '../util/logger.js';
import { parseDuration } from '../util/duration.js';
import { startControlPlane, type ControlPlaneOptions } from '../controlplane/controlplane.js';
import {
  electedHealthChecks,
  startControllerManager,
  startScheduler,
  startSimNodes,
  type Credentials,
  type LeaderElectionOptions,
  type Running,
} from '../controlplane/components.js';
import { HealthServerListenError, startHealthServer, type HealthChecks, type HealthServer } from '../controlplane/health-server.js';
import { loadKubeconfig } from '../client/kubeconfig.js';

const usage = `Usage: peapod <command> [options]

Commands:
  server   Run the control plane.
             --data-dir DIR            where state, certificates and kubeconfig.yaml live (required)
             --port N                  HTTPS port on 127.0.0.1 (default 6443; 0 picks a free one)
             --store sqlite|etcd       where objects are kept (default sqlite, DIR/state.db)
             --etcd-endpoints URL,...  etcd client URLs, with --store etcd
             --etcd-prefix P           key prefix inside etcd (default none)
             --service-cidr CIDR       Service cluster IP range (default 10.96.0.0/12)
             --event-ttl D             how long events are kept (default 1h)
             --max-requests-inflight N requests served at once before the rest queue fairly (default 32)
             --sim-nodes N             also run N simulated nodes in this process (default 0)
             --no-controllers          do not run the controller manager in this process
             --no-scheduler            do not run the scheduler in this process
             --node-monitor-grace-period D            (default 40s)
             --node-monitor-period D                  (default 5s)
             --terminated-pod-gc-threshold N          finished pods kept before the oldest go (default 12500; 0 keeps all)
             --max-endpoints-per-slice N              endpoints in one EndpointSlice (default 100, 1-1000)
             --resource-quota-sync-period D           how often every ResourceQuota is recounted (default 5m)
             --default-unreachable-toleration-seconds N (default 300)
             --default-not-ready-toleration-seconds N   (default 300)
  controller-manager --kubeconfig FILE [--leader-elect=false] [--node-monitor-grace-period D] [--node-monitor-period D]
                     [--terminated-pod-gc-threshold N] [--max-endpoints-per-slice N] [--resource-quota-sync-period D]
                     [--health-port N]
           Run the controllers (replicas, deployments, node lifecycle and pod GC, garbage collection,
           namespaces, endpoints, endpoint slices, resource quotas); with leader election through the kube-system/kube-controller-manager Lease.
           Health endpoints on http://127.0.0.1:N (default 10257).
  scheduler --kubeconfig FILE [--leader-elect=false] [--health-port N]
           Run the scheduler; with leader election through the kube-system/kube-scheduler Lease.
           Health endpoints on http://127.0.0.1:N (default 10259).
  sim      --kubeconfig FILE --nodes N [--prefix NAME] [--cpu Q] [--memory Q] [--pods N] [--heartbeat-interval D] [--health-port N]
           Run N simulated nodes until stopped; they stop heartbeating when it ends.
           Health endpoints on http://127.0.0.1:N (default 10260).
  up       Start a local cluster for trying peapod out (data in ./.peapod, port 6443, 3 simulated nodes).
  help     Show this text.

--health-port N serves /livez, /healthz and /readyz (?verbose lists the checks) over plain HTTP
on 127.0.0.1 only; 0 picks a free port, which the start-up line on stdout shows.

Durations (D) are like 40s, 5m, 1h30m; a bare number is seconds.
`;

function fail(msg: string): never {
  process.stderr.write(`peapod: ${msg}\n`);
  process.exit(2);
}

function loggerFor(level: string | undefined): Logger {
  const l = (level ?? process.env.PEAPOD_LOG_LEVEL ?? 'info') as 'debug' | 'info' | 'warn' | 'error';
  if (!['debug', 'info', 'warn', 'error'].includes(l)) fail(`--log-level must be debug, info, warn or error, got ${JSON.stringify(l)}`);
  return createLogger({}, { level: l });
}

function durationFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseDuration(v);
  } catch (err) {
    fail(`--${name}: ${(err as Error).message}`);
  }
}

function intFlag(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** --max-endpoints-per-slice: 1 to 1000, as kube-controller-manager accepts (a slice holds at most 1000). */
function maxEndpointsPerSliceFlag(v: string | undefined): number | undefined {
  const n = intFlag('max-endpoints-per-slice', v, 1);
  if (n !== undefined && n > 1000) fail(`--max-endpoints-per-slice must be at most 1000, got ${n}`);
  return n;
}

/** --resource-quota-sync-period: a full recount of every quota this often; it must be some time. */
function quotaSyncPeriodFlag(v: string | undefined): number | undefined {
  const ms = durationFlag('resource-quota-sync-period', v);
  if (ms !== undefined && ms <= 0) fail(`--resource-quota-sync-period must be longer than 0, got ${JSON.stringify(v)}`);
  return ms;
}

function healthPortFlag(v: string | undefined, defaultPort: number): number {
  if (v === undefined) return defaultPort;
  if (!/^\d+$/.test(v) || Number(v) > 65535) fail(`--health-port must be an integer from 0 to 65535 (0 picks a free port), got ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * Binds the health endpoints before the component starts, so a port in use ends the command
 * before it has registered nodes or taken a Lease.
 */
async function serveHealth(port: number, checks: HealthChecks, logger: Logger): Promise<HealthServer> {
  try {
    return await startHealthServer({ port, checks, logger: logger.child({ component: 'health' }) });
  } catch (err) {
    if (!(err instanceof HealthServerListenError)) throw err;
    const hint = err.code === 'EADDRINUSE' ? ' (another copy on this machine?); pass --health-port with a free port, or --health-port 0 to pick one' : '';
    fail(`--health-port ${port}: ${err.message}${hint}`);
  }
}

type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;

function parse(argv: string[], options: FlagSpec): Record<string, string | boolean | undefined> {
  // Kubernetes' components take booleans as --flag=false (the usage text does too); parseArgs
  // knows only --flag and --no-flag.
  const args = argv.map((a) => {
    const m = /^--([a-z][a-z0-9-]*)=(true|false)$/.exec(a);
    return m && options[m[1]!]?.type === 'boolean' ? (m[2] === 'true' ? `--${m[1]}` : `--no-${m[1]}`) : a;
  });
  try {
    // allowNegative (--no-x) is in Node 20.16+; older Node reads --no-x as unknown and says so.
    const config = { args, options, strict: true, allowNegative: true };
    return parseArgs(config as Parameters<typeof parseArgs>[0]).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${usage}`);
  }
}

/** Stops `stop` on SIGINT/SIGTERM, then exits. */
function exitOnSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    try {
      await stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void handler('SIGINT'));
  process.on('SIGTERM', () => void handler('SIGTERM'));
}

async function runServer(argv: string[], defaults: Record<string, string> = {}): Promise<void> {
  const values = parse(argv, {
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    store: { type: 'string' },
    'etcd-endpoints': { type: 'string' },
    'etcd-prefix': { type: 'string' },
    'service-cidr': { type: 'string' },
    'event-ttl': { type: 'string' },
    'max-requests-inflight': { type: 'string' },
    'sim-nodes': { type: 'string' },
    controllers: { type: 'boolean' },
    scheduler: { type: 'boolean' },
    'node-monitor-grace-period': { type: 'string' },
    'node-monitor-period': { type: 'string' },
    'terminated-pod-gc-threshold': { type: 'string' },
    'max-endpoints-per-slice': { type: 'string' },
    'resource-quota-sync-period': { type: 'string' },
    'default-unreachable-toleration-seconds': { type: 'string' },
    'default-not-ready-toleration-seconds': { type: 'string' },
    'log-level': { type: 'string' },
  });
  const str = (k: string) => (values[k] as string | undefined) ?? defaults[k];
  const dataDir = str('data-dir');
  if (!dataDir) fail('--data-dir is required: the directory where peapod keeps its state (e.g. --data-dir ./.peapod)');
  const port = intFlag('port', str('port') ?? '6443')!;
  if (port > 65535) fail(`--port must be a number from 0 to 65535, got ${port}`);
  const storeKind = str('store') ?? 'sqlite';
  let store: ControlPlaneOptions['store'];
  if (storeKind === 'sqlite') {
    store = { kind: 'sqlite' };
  } else if (storeKind === 'etcd') {
    const eps = (str('etcd-endpoints') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!eps.length) fail('--store etcd needs --etcd-endpoints http://127.0.0.1:2379[,...]');
    for (const e of eps) if (!/^https?:\/\/[^/]+$/.test(e)) fail(`--etcd-endpoints: ${JSON.stringify(e)} is not a URL like http://127.0.0.1:2379`);
    store = { kind: 'etcd', endpoints: eps, prefix: str('etcd-prefix') };
  } else {
    fail(`--store must be "sqlite" or "etcd", got ${JSON.stringify(storeKind)}`);
  }
  const logger = loggerFor(str('log-level'));
  const cp = await startControlPlane({
    dataDir: resolve(dataDir),
    port,
    store,
    serviceCIDR: str('service-cidr'),
    eventTTLMs: durationFlag('event-ttl', str('event-ttl')),
    maxRequestsInFlight: intFlag('max-requests-inflight', str('max-requests-inflight'), 1),
    controllers: values.controllers !== false,
    scheduler: values.scheduler !== false,
    simNodes: intFlag('sim-nodes', str('sim-nodes')),
    nodeMonitorGracePeriodMs: durationFlag('node-monitor-grace-period', str('node-monitor-grace-period')),
    nodeMonitorPeriodMs: durationFlag('node-monitor-period', str('node-monitor-period')),
    terminatedPodGCThreshold: intFlag('terminated-pod-gc-threshold', str('terminated-pod-gc-threshold')),
    maxEndpointsPerSlice: maxEndpointsPerSliceFlag(str('max-endpoints-per-slice')),
    resourceQuotaSyncPeriodMs: quotaSyncPeriodFlag(str('resource-quota-sync-period')),
    defaultUnreachableTolerationSeconds: intFlag('default-unreachable-toleration-seconds', str('default-unreachable-toleration-seconds')),
    defaultNotReadyTolerationSeconds: intFlag('default-not-ready-toleration-seconds', str('default-not-ready-toleration-seconds')),
    logger,
  });
  process.stdout.write(`peapod control plane is up at ${cp.url}\n  kubectl --kubeconfig ${cp.kubeconfigPath} get namespaces\n`);
  exitOnSignal(logger, () => cp.close());
}

function credentialsFrom(path: string | undefined): Credentials {
  if (!path) fail('--kubeconfig is required: the kubeconfig of the cluster (e.g. .peapod/kubeconfig.yaml)');
  try {
    const k = loadKubeconfig(path);
    return { server: k.server, caCert: k.caCert, token: k.token };
  } catch (err) {
    fail(`--kubeconfig ${path}: ${(err as Error).message}`);
  }
}

function leaderElectionFrom(values: Record<string, string | boolean | undefined>): LeaderElectionOptions | false {
  if (values['leader-elect'] === false) return false;
  return {
    identity: values.id as string | undefined,
    leaseDurationMs: durationFlag('leader-elect-lease-duration', values['leader-elect-lease-duration'] as string | undefined),
    renewDeadlineMs: durationFlag('leader-elect-renew-deadline', values['leader-elect-renew-deadline'] as string | undefined),
    retryPeriodMs: durationFlag('leader-elect-retry-period', values['leader-elect-retry-period'] as string | undefined),
  };
}

const electionFlags = {
  kubeconfig: { type: 'string' },
  'leader-elect': { type: 'boolean' },
  'leader-elect-lease-duration': { type: 'string' },
  'leader-elect-renew-deadline': { type: 'string' },
  'leader-elect-retry-period': { type: 'string' },
  id: { type: 'string' },
  'health-port': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

async function runControllerManager(argv: string[]): Promise<void> {
  const values = parse(argv, {
    ...electionFlags,
    'node-monitor-grace-period': { type: 'string' },
    'node-monitor-period': { type: 'string' },
    'terminated-pod-gc-threshold': { type: 'string' },
    'max-endpoints-per-slice': { type: 'string' },
    'resource-quota-sync-period': { type: 'string' },
  });
  const healthPort = healthPortFlag(values['health-port'] as string | undefined, 10257);
  const logger = loggerFor(values['log-level'] as string | undefined);
  const credentials = credentialsFrom(values.kubeconfig as string | undefined);
  const leaderElection = leaderElectionFrom(values);
  const nodeMonitorGracePeriodMs = durationFlag('node-monitor-grace-period', values['node-monitor-grace-period'] as string | undefined);
  const nodeMonitorPeriodMs = durationFlag('node-monitor-period', values['node-monitor-period'] as string | undefined);
  const terminatedPodGCThreshold = intFlag('terminated-pod-gc-threshold', values['terminated-pod-gc-threshold'] as string | undefined);
  const maxEndpointsPerSlice = maxEndpointsPerSliceFlag(values['max-endpoints-per-slice'] as string | undefined);
  const resourceQuotaSyncPeriodMs = quotaSyncPeriodFlag(values['resource-quota-sync-period'] as string | undefined);
  let running: Running | undefined;
  const health = await serveHealth(healthPort, electedHealthChecks(() => running, leaderElection !== false), logger);
  running = startControllerManager({
    credentials,
    logger,
    leaderElection,
    nodeMonitorGracePeriodMs,
    nodeMonitorPeriodMs,
    terminatedPodGCThreshold,
    maxEndpointsPerSlice,
    resourceQuotaSyncPeriodMs,
  });
  process.stdout.write(`peapod controller-manager running, health checks at ${health.url}\n`);
  exitOnSignal(logger, stopBoth(running, health));
}

async function runScheduler(argv: string[]): Promise<void> {
  const values = parse(argv, { ...electionFlags });
  const healthPort = healthPortFlag(values['health-port'] as string | undefined, 10259);
  const logger = loggerFor(values['log-level'] as string | undefined);
  const credentials = credentialsFrom(values.kubeconfig as string | undefined);
  const leaderElection = leaderElectionFrom(values);
  let running: Running | undefined;
  const health = await serveHealth(healthPort, electedHealthChecks(() => running, leaderElection !== false), logger);
  running = startScheduler({ credentials, logger, leaderElection });
  process.stdout.write(`peapod scheduler running, health checks at ${health.url}\n`);
  exitOnSignal(logger, stopBoth(running, health));
}

/** Stops the component, then its health endpoints (which answer until it is gone). */
function stopBoth(component: { stop(): Promise<void> }, health: HealthServer): () => Promise<void> {
  return async () => {
    try {
      await component.stop();
    } finally {
      await health.close();
    }
  };
}

async function runSim(argv: string[]): Promise<void> {
  const values = parse(argv, {
    kubeconfig: { type: 'string' },
    nodes: { type: 'string' },
    prefix: { type: 'string' },
    cpu: { type: 'string' },
    memory: { type: 'string' },
    pods: { type: 'string' },
    'heartbeat-interval': { type: 'string' },
    'health-port': { type: 'string' },
    'log-level': { type: 'string' },
  });
  const nodes = intFlag('nodes', (values.nodes as string | undefined) ?? '1', 1)!;
  const prefix = (values.prefix as string | undefined) ?? 'sim-node';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(prefix)) fail(`--prefix must be a lowercase DNS label like "sim-node", got ${JSON.stringify(prefix)}`);
  const logger = loggerFor(values['log-level'] as string | undefined);
  const capacity: Record<string, string> = { cpu: '32', memory: '256Gi', pods: '110' };
  if (values.cpu) capacity.cpu = values.cpu as string;
  if (values.memory) capacity.memory = values.memory as string;
  if (values.pods) capacity.pods = values.pods as string;
  const heartbeatIntervalMs = durationFlag('heartbeat-interval', values['heartbeat-interval'] as string | undefined);
  const healthPort = healthPortFlag(values['health-port'] as string | undefined, 10260);
  const credentials = credentialsFrom(values.kubeconfig as string | undefined);
  let registered = false;
  const health = await serveHealth(
    healthPort,
    {
      readyz: [
        {
          name: 'node-registration',
          check: () => {
            if (!registered) throw new Error('simulated nodes not registered yet');
          },
        },
      ],
    },
    logger,
  );
  const sim = await startSimNodes({ credentials, logger, nodes, prefix, capacity, heartbeatIntervalMs });
  registered = true;
  process.stdout.write(`peapod sim running ${nodes} node(s) named ${prefix}-0..${prefix}-${nodes - 1}, health checks at ${health.url}\n`);
  exitOnSignal(logger, stopBoth(sim, health));
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'server':
      return runServer(rest);
    case 'up':
      return runServer(rest, { 'data-dir': '.peapod', port: '6443', 'sim-nodes': '3' });
    case 'controller-manager':
      return runControllerManager(rest);
    case 'scheduler':
      return runScheduler(rest);
    case 'sim':
      return runSim(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return;
    default:
      fail(`unknown command ${JSON.stringify(cmd)}\n\n${usage}`);
  }
}

main().catch((err) => {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`peapod: ${msg}\n`);
  process.exit(1);
});
