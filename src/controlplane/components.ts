/**
 * The components that run beside the API server and reach it only through the client:
 * the controller manager (replicas, rollouts, node health, garbage collection, namespaces,
 * endpoints, endpoint slices, resource quotas, disruption budgets, ClusterRole aggregation) and the scheduler, each optionally behind a Lease so two copies
 * can run side by side, and pools of simulated nodes. `peapod server` runs them in-process;
 * `peapod controller-manager`, `peapod scheduler` and `peapod sim` run them as their own
 * processes.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../client/interfaces.js';
import { RestClient } from '../client/rest-client.js';
import { SharedInformerFactory, stripManagedFields } from '../client/informer.js';
import { EventRecorder, maxEventWritesInFlight } from '../client/events.js';
import { LeaderElector } from '../client/leader-election.js';
import { ReplicaSetController, ReplicationManager } from '../controllers/replicaset/replicaset-controller.js';
import { DeploymentController } from '../controllers/deployment/controller.js';
import { NodeLifecycleController } from '../controllers/nodelifecycle/controller.js';
import { GarbageCollector } from '../controllers/garbagecollector/garbage-collector.js';
import { NamespaceController } from '../controllers/namespace/namespace-controller.js';
import { EndpointsController } from '../controllers/endpoint/endpoints-controller.js';
import { EndpointSliceController } from '../controllers/endpointslice/endpointslice-controller.js';
import { EndpointSliceMirroringController } from '../controllers/endpointslicemirroring/endpointslicemirroring-controller.js';
import { ResourceQuotaController } from '../controllers/resourcequota/resourcequota-controller.js';
import { DisruptionController } from '../controllers/disruption/disruption-controller.js';
import { ClusterRoleAggregationController } from '../controllers/clusterroleaggregation/clusterroleaggregation-controller.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { rootCACertPublisher, serviceAccountsController } from '../controllers/namespacedefaults/defaults.js';
import { SimNodePool } from '../sim/pool.js';
import { realClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { HealthChecks } from './health-server.js';

export interface Credentials {
  server: string;
  caCert: string;
  token: string;
  /** The API server's unix socket, for components in its own process (plain HTTP, see RestClient). */
  socketPath?: string;
}

export interface LeaderElectionOptions {
  /** Who this copy is in the Lease (default: host name + random suffix). */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

interface Part {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Running {
  /** True while this copy is active (it leads, or runs without leader election). */
  isActive(): boolean;
  /** True once this copy's informers have synced and its parts run; false again when it stops leading. */
  isStarted(): boolean;
  /** True while leader election is on and this copy waits for the Lease another copy holds (as last read). */
  isStandby(): boolean;
  /** Throws when this copy leads but has not renewed its Lease in time (LeaderElector.check); no-op without leader election. */
  checkLeaderElection(): void;
  stop(): Promise<void>;
}

/** The controller manager's tuning flags, passed along unchanged wherever it runs. */
export interface ControllerSettings {
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  /** --terminated-pod-gc-threshold: finished pods kept before the oldest are deleted (0: all kept). */
  terminatedPodGCThreshold?: number;
  /** --max-endpoints-per-slice: endpoints the EndpointSlice controller puts in one slice (default 100). */
  maxEndpointsPerSlice?: number;
  /** --resource-quota-sync-period: how often every ResourceQuota is recounted in full (default 5 min). */
  resourceQuotaSyncPeriodMs?: number;
}

export interface ControllerManagerOptions extends ControllerSettings {
  credentials: Credentials;
  logger: Logger;
  clock?: Clock;
  /** false: run at once without a Lease (the in-process default of `peapod server`). */
  leaderElection?: LeaderElectionOptions | false;
}

export interface SchedulerComponentOptions {
  credentials: Credentials;
  logger: Logger;
  clock?: Clock;
  leaderElection?: LeaderElectionOptions | false;
}

/**
 * How long past its lease duration a leader may go without renewing before its leaderElection
 * health check fails: kube-controller-manager's and kube-scheduler's NewLeaderHealthzAdaptor(20s).
 */
const leaderElectionHealthGraceMs = 20_000;

/**
 * The health checks of an elected component's process, over `component()` (undefined until it
 * is started, so the port can be bound before anything else happens): /healthz adds the
 * leaderElection check when leader election is on; /readyz passes once the component has
 * started, or while it stands by for a Lease another copy holds (a standby has no informers
 * to sync, and is as ready as it can be).
 */
export function electedHealthChecks(component: () => Running | undefined, leaderElection: boolean): HealthChecks {
  return {
    healthz: leaderElection ? [{ name: 'leaderElection', check: () => component()?.checkLeaderElection() }] : [],
    readyz: [
      {
        name: 'informer-sync',
        check: () => {
          const c = component();
          if (!c?.isStarted() && !c?.isStandby()) throw new Error('informers not synced yet');
        },
      },
    ],
  };
}

function newIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

/**
 * Runs `build` (informers + parts) while leading the named Lease, or at once without one.
 * Losing the lease stops the parts; regaining it builds fresh ones, so no cache outlives
 * a period of not leading.
 */
function runElected(opts: {
  name: string;
  client: KubeClient;
  logger: Logger;
  clock: Clock;
  leaderElection?: LeaderElectionOptions | false;
  build: (informers: SharedInformerFactory) => Part[];
}): Running {
  const log = opts.logger.child({ component: opts.name });
  let current: { informers: SharedInformerFactory; parts: Part[]; started: boolean; stopping: boolean } | undefined;
  let starting: Promise<void> | undefined;

  const up = async (): Promise<void> => {
    // Controllers and the scheduler never read managedFields; like kube's, their caches drop them.
    const informers = new SharedInformerFactory(opts.client, { clock: opts.clock, logger: log, transform: stripManagedFields });
    const parts = opts.build(informers);
    const c = { informers, parts, started: false, stopping: false };
    current = c;
    await informers.start();
    for (const p of parts) {
      if (c.stopping) return;
      await p.start();
    }
    c.started = true;
    log.info('started');
  };
  const down = async (): Promise<void> => {
    const c = current;
    current = undefined;
    // A start still waiting for its caches to sync (the API server unreachable, say) is cut
    // short: stopped informers end it, and it starts no part after that.
    if (c) {
      c.stopping = true;
      if (!c.started) c.informers.stop();
    }
    await starting?.catch(() => undefined);
    if (!c) return;
    for (const p of [...c.parts].reverse()) await p.stop();
    c.informers.stop();
    log.info('stopped');
  };

  if (opts.leaderElection === false || opts.leaderElection === undefined) {
    starting = up();
    starting.catch((err) => log.error('failed to start', { err: (err as Error).message }));
    return {
      isActive: () => current !== undefined,
      isStarted: () => current?.started === true,
      isStandby: () => false,
      checkLeaderElection: () => {},
      stop: down,
    };
  }
  const le = opts.leaderElection;
  const identity = le.identity ?? newIdentity();
  const elector = new LeaderElector({
    client: opts.client,
    namespace: 'kube-system',
    name: opts.name,
    identity,
    leaseDurationMs: le.leaseDurationMs,
    renewDeadlineMs: le.renewDeadlineMs,
    retryPeriodMs: le.retryPeriodMs,
    clock: opts.clock,
    logger: log,
    onStartedLeading: (signal) => {
      log.info('became leader');
      starting = up();
      starting.catch((err) => log.error('failed to start', { err: (err as Error).message }));
      signal.addEventListener('abort', () => void down());
    },
    onStoppedLeading: () => log.info('stopped leading'),
  });
  elector.start();
  return {
    isActive: () => elector.isLeader() && current !== undefined,
    isStarted: () => current?.started === true,
    // Not before it has read the Lease: a copy that cannot reach the API server waits for nothing.
    isStandby: () => !elector.isLeader() && elector.leader() !== '' && elector.leader() !== identity,
    checkLeaderElection: () => elector.check(leaderElectionHealthGraceMs),
    stop: async () => {
      await elector.stop();
      await down();
    },
  };
}

/**
 * One elected component: its own client (named after it in user agent and field manager) and
 * event recorder, the parts `build` makes while leading, and a stop() that closes all of it.
 * Events go through a client of their own, as kube-scheduler's and kube-controller-manager's
 * do, so a burst of them never queues the component's real work behind it.
 */
function startComponent(opts: {
  lease: string;
  agent: string;
  eventSource: string;
  credentials: Credentials;
  logger: Logger;
  clock?: Clock;
  leaderElection?: LeaderElectionOptions | false;
  /** Requests the component may have in flight (its client's connection pool). */
  maxConnections: number;
  build: (common: {
    client: KubeClient;
    informers: SharedInformerFactory;
    recorder: EventRecorder;
    /** A recorder whose events name another source, for a controller of its own ("deployment-controller"). */
    recorderFor: (component: string) => EventRecorder;
    clock: Clock;
    logger: Logger;
  }) => Part[];
}): Running {
  const clock = opts.clock ?? realClock;
  const client = new RestClient({ ...opts.credentials, userAgent: opts.agent, fieldManager: opts.agent, logger: opts.logger, maxConnections: opts.maxConnections });
  const eventClient = new RestClient({ ...opts.credentials, userAgent: opts.agent, fieldManager: opts.agent, logger: opts.logger, maxConnections: maxEventWritesInFlight });
  const recorders = new Map<string, EventRecorder>();
  const recorderFor = (component: string) => {
    let r = recorders.get(component);
    if (!r) {
      r = new EventRecorder({ client: eventClient, component, host: hostname(), clock, logger: opts.logger });
      recorders.set(component, r);
    }
    return r;
  };
  const running = runElected({
    name: opts.lease,
    client,
    logger: opts.logger,
    clock,
    leaderElection: opts.leaderElection,
    build: (informers) => opts.build({ client, informers, recorder: recorderFor(opts.eventSource), recorderFor, clock, logger: opts.logger }),
  });
  return {
    ...running,
    stop: async () => {
      await running.stop();
      await Promise.all([...recorders.values()].map((r) => r.close()));
      eventClient.close();
      client.close();
    },
  };
}

export function startControllerManager(opts: ControllerManagerOptions): Running {
  return startComponent({
    ...opts,
    lease: 'kube-controller-manager',
    agent: 'peapod-controller-manager',
    eventSource: 'controller-manager',
    maxConnections: 64,
    // Each controller's events name it as their source, as kube-controller-manager's do
    // (`kubectl describe` shows "replicaset-controller", "deployment-controller" ...).
    build: (common) => [
      new ReplicaSetController({ ...common, recorder: common.recorderFor('replicaset-controller') }),
      new ReplicationManager({ ...common, recorder: common.recorderFor('replication-controller') }),
      new DeploymentController({ ...common, recorder: common.recorderFor('deployment-controller') }),
      new NodeLifecycleController({
        ...common,
        recorder: common.recorderFor('node-controller'),
        evictionRecorder: common.recorderFor('taint-eviction-controller'),
        nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs,
        nodeMonitorPeriodMs: opts.nodeMonitorPeriodMs,
        terminatedPodGCThreshold: opts.terminatedPodGCThreshold,
      }),
      new GarbageCollector({ ...common, recorder: common.recorderFor('garbage-collector-controller') }),
      new NamespaceController({ ...common, recorder: common.recorderFor('namespace-controller') }),
      new EndpointsController({ ...common, recorder: common.recorderFor('endpoint-controller') }),
      new EndpointSliceController({ ...common, recorder: common.recorderFor('endpoint-slice-controller'), maxEndpointsPerSlice: opts.maxEndpointsPerSlice }),
      new EndpointSliceMirroringController({ ...common, recorder: common.recorderFor('endpoint-slice-mirroring-controller') }),
      new ResourceQuotaController({ ...common, resyncPeriodMs: opts.resourceQuotaSyncPeriodMs }),
      // Kubernetes' disruption controller records its events as "controllermanager".
      new DisruptionController({ ...common, recorder: common.recorderFor('controllermanager') }),
      serviceAccountsController(common),
      rootCACertPublisher({ ...common, caCert: opts.credentials.caCert }),
      new ClusterRoleAggregationController(common),
    ],
  });
}

const schedulerMaxConcurrentBinds = 100;

export function startScheduler(opts: SchedulerComponentOptions): Running {
  return startComponent({
    ...opts,
    lease: 'kube-scheduler',
    agent: 'peapod-scheduler',
    eventSource: 'default-scheduler',
    // Its bindings (up to 100 in flight) and status patches each get a connection.
    maxConnections: schedulerMaxConcurrentBinds + 16,
    build: (common) => [new Scheduler({ ...common, maxConcurrentBinds: schedulerMaxConcurrentBinds })],
  });
}

export interface SimOptions {
  credentials: Credentials;
  logger: Logger;
  clock?: Clock;
  nodes: number;
  prefix?: string;
  capacity?: Record<string, string>;
  /** How often each node renews its Lease (default 10 s, the kubelet's). */
  heartbeatIntervalMs?: number;
}

/**
 * Pods whose stages a pool plays at once. Each worker waits for its status write, so this
 * bounds the pool's pace (workers / write latency): a thousand kubelets would write that many.
 */
const simPodWorkers = 128;

/** A pool of simulated nodes that register, heartbeat and run pods through their stages. */
export async function startSimNodes(opts: SimOptions): Promise<{ stop(): Promise<void> }> {
  const clock = opts.clock ?? realClock;
  // Many kubelets write at once: the pod workers and the heartbeats each get a connection.
  const workers = simPodWorkers;
  const heartbeatConcurrency = 32;
  const client = new RestClient({
    ...opts.credentials,
    userAgent: 'peapod-sim',
    fieldManager: 'peapod-sim',
    logger: opts.logger,
    maxConnections: workers + heartbeatConcurrency,
  });
  const eventClient = new RestClient({ ...opts.credentials, userAgent: 'peapod-sim', fieldManager: 'peapod-sim', logger: opts.logger, maxConnections: maxEventWritesInFlight });
  const recorder = new EventRecorder({ client: eventClient, component: 'kubelet', host: opts.prefix ?? 'sim-node', clock, logger: opts.logger });
  const pool = new SimNodePool({
    client,
    recorder,
    clock,
    logger: opts.logger.child({ component: 'sim' }),
    nodes: opts.nodes,
    prefix: opts.prefix,
    capacity: opts.capacity,
    leaseRenewIntervalMs: opts.heartbeatIntervalMs,
    workers,
    heartbeatConcurrency,
  });
  await pool.start();
  return {
    stop: async () => {
      await pool.stop();
      await recorder.close();
      eventClient.close();
      client.close();
    },
  };
}
