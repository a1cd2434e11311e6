/**
 * The control plane as one unit: store, PKI, tokens, API server and the in-process loops
 * that belong to it. `peapod server` and the tests start it through here.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allResourceTypes } from '../api/registry.js';
import { ApiError } from '../api/errors.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/interface.js';
import { Compactor } from '../storage/compactor.js';
import type { Logger } from '../util/logger.js';
import { realClock, type Clock } from '../util/clock.js';
import { ensureServingPKI } from '../apiserver/certs.js';
import { loadOrCreateTokens } from '../apiserver/auth.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { APIServer } from '../apiserver/server.js';
import { NamespaceLifecycle } from '../apiserver/namespace-lifecycle.js';
import { defaultTolerationSeconds } from '../apiserver/admission/default-tolerations.js';
import { startControllerManager, startScheduler, startSimNodes, type ControllerSettings } from './components.js';
import { startComponentThread, type ComponentSpec } from './component-thread.js';
import { EventExpiry } from '../apiserver/event-expiry.js';
import { clusterIPAllocator, parseCIDR } from '../apiserver/admission/cluster-ip.js';
import { nodePortAllocator } from '../apiserver/admission/node-port.js';
import { NamespacedObjectCache } from '../apiserver/admission/namespaced-cache.js';
import type { KubeObject } from '../api/object.js';
import { resourceQuotaAdmission } from '../apiserver/admission/resource-quota.js';
import { LimitRanger } from '../apiserver/admission/limit-ranger.js';
import { serviceAccountAdmission } from '../apiserver/admission/service-account.js';
import { ServiceAccountTokens } from '../apiserver/serviceaccount-tokens.js';
import { enableRBAC } from '../apiserver/authorization/rbac-setup.js';

export interface ControlPlaneOptions {
  dataDir: string;
  port?: number;
  host?: string;
  store?: { kind: 'sqlite' } | { kind: 'etcd'; endpoints: string[]; prefix?: string };
  serviceCIDR?: string;
  /** Requests the API server serves at once before it queues them fairly (default 32). */
  maxRequestsInFlight?: number;
  /** How long events are kept after they last happened (default 1 h, as kube-apiserver's --event-ttl). */
  eventTTLMs?: number;
  /** Run the controller manager in this process (default false here; `peapod server` turns it on). */
  controllers?: boolean;
  /** Run the scheduler in this process (default false here; `peapod server` turns it on). */
  scheduler?: boolean;
  /**
   * Run those components on worker threads of this process (default: yes, unless a clock is
   * given) rather than on the API server's own event loop.
   */
  componentThreads?: boolean;
  /** Simulated nodes to run in this process (default 0). */
  simNodes?: number;
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  terminatedPodGCThreshold?: number;
  maxEndpointsPerSlice?: number;
  /** --resource-quota-sync-period: a full recount of every ResourceQuota this often (default 5 min). */
  resourceQuotaSyncPeriodMs?: number;
  /** tolerationSeconds added to pods for the not-ready and unreachable taints (default 300). */
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
  logger: Logger;
  clock?: Clock;
}

export interface ControlPlane {
  url: string;
  port: number;
  kubeconfigPath: string;
  adminToken: string;
  caCert: string;
  server: APIServer;
  store: Store;
  close(): Promise<void>;
}

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = opts.logger;
  const clock = opts.clock ?? realClock;
  const storeOpts = opts.store ?? { kind: 'sqlite' };
  const store =
    storeOpts.kind === 'sqlite'
      ? await openStore({ kind: 'sqlite', path: join(dataDir, 'state.db') }, log)
      : await openStore({ kind: 'etcd', endpoints: storeOpts.endpoints, prefix: storeOpts.prefix }, log);
  const closers: (() => Promise<void> | void)[] = [() => store.close()];
  const named = (name: string, fn: () => Promise<void> | void) => async () => {
    log.debug('stopping', { part: name });
    await fn();
  };
  try {
    const host = opts.host ?? '127.0.0.1';
    const pki = ensureServingPKI(dataDir, { ips: ['127.0.0.1', '::1'], dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'] });
    const { auth, adminToken } = loadOrCreateTokens(dataDir);
    const socketPath = inProcessSocketPath(dataDir, log);
    const server = new APIServer({
      store,
      types: allResourceTypes,
      logger: log,
      clock,
      tls: { cert: pki.cert, key: pki.key },
      authenticator: auth,
      host,
      port: opts.port ?? 6443,
      socketPath,
      maxRequestsInFlight: opts.maxRequestsInFlight,
      serviceAccountTokens: ServiceAccountTokens.loadOrCreate(dataDir),
    });
    const servicesType = server.resourceType('', 'v1', 'services')!;
    // LimitRanger first: the pod resources it defaults are what later plugins (quota) count.
    const limitRanger = new LimitRanger(server.registry, server.resourceType('', 'v1', 'limitranges')!, log.child({ component: 'limit-ranger' }));
    server.registry.addMutatingAdmission(limitRanger.mutate);
    server.registry.addAdmission(limitRanger.validate);
    await limitRanger.start();
    closers.unshift(named('limit-ranger', () => limitRanger.close()));
    server.registry.addAdmission(
      defaultTolerationSeconds({ notReadySeconds: opts.defaultNotReadyTolerationSeconds, unreachableSeconds: opts.defaultUnreachableTolerationSeconds }),
    );
    server.registry.addAdmission(clusterIPAllocator(server.registry, servicesType, parseCIDR(opts.serviceCIDR ?? '10.96.0.0/12')));
    server.registry.addAdmission(nodePortAllocator(server.registry, servicesType));
    // Pods may name only service accounts that exist (kept in memory, as quota's view is).
    const serviceAccounts = new NamespacedObjectCache(server.registry, server.resourceType('', 'v1', 'serviceaccounts')!, (sa: KubeObject) => sa.metadata.name!, log.child({ component: 'serviceaccount-admission' }));
    await serviceAccounts.start();
    closers.unshift(named('serviceaccount-admission', () => serviceAccounts.close()));
    server.registry.addMutatingAdmission(serviceAccountAdmission(serviceAccounts));
    // RBAC: every request authorized from the first one on; roles and bindings checked for escalation.
    const rbac = await enableRBAC(server, log.child({ component: 'rbac' }));
    closers.unshift(named('rbac', () => rbac.close()));
    // ResourceQuota last, as in kube-apiserver: it charges what the others admitted and defaulted.
    const quotaType = server.resourceType('', 'v1', 'resourcequotas')!;
    const quotas = new NamespacedObjectCache(server.registry, quotaType, (q: KubeObject) => q, log.child({ component: 'resource-quota' }));
    await quotas.start();
    closers.unshift(named('resource-quota', () => quotas.close()));
    server.registry.addAdmission(resourceQuotaAdmission({ registry: server.registry, quotaType, quotas, clock }));
    await ensureSystemNamespaces(server);
    const { port, url } = await server.listen();
    closers.unshift(named('apiserver', () => server.close()));
    const nsLifecycle = new NamespaceLifecycle(server.registry, allResourceTypes, log.child({ component: 'namespace-lifecycle' }));
    await nsLifecycle.start();
    closers.unshift(named('namespace-lifecycle', () => nsLifecycle.close()));
    const expiry = new EventExpiry(server.registry, server.resourceType('', 'v1', 'events')!, {
      ttlMs: opts.eventTTLMs ?? 3600_000,
      clock,
      logger: log.child({ component: 'event-expiry' }),
    });
    expiry.start();
    closers.unshift(named('event-expiry', () => expiry.close()));
    const compactor = new Compactor(store, { logger: log.child({ component: 'compactor' }), clock });
    compactor.start();
    closers.unshift(named('compactor', () => compactor.close()));
    // The in-process components skip TLS: they reach the server through its unix socket.
    const credentials = { server: url, caCert: pki.caCert, token: adminToken, socketPath };
    const controllerSettings: ControllerSettings = {
      nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs,
      nodeMonitorPeriodMs: opts.nodeMonitorPeriodMs,
      terminatedPodGCThreshold: opts.terminatedPodGCThreshold,
      maxEndpointsPerSlice: opts.maxEndpointsPerSlice,
      resourceQuotaSyncPeriodMs: opts.resourceQuotaSyncPeriodMs,
    };
    if (opts.componentThreads ?? !opts.clock) {
      // Each on a thread of its own (see component-thread.ts); a real clock only, as a
      // test's fake clock cannot cross to another thread.
      const specs: ComponentSpec[] = [];
      if (opts.controllers) specs.push({ kind: 'controller-manager', ...controllerSettings });
      if (opts.scheduler) specs.push({ kind: 'scheduler' });
      if (opts.simNodes) specs.push({ kind: 'sim', nodes: opts.simNodes, prefix: 'sim-node', heartbeatIntervalMs: simHeartbeatMs(opts.nodeMonitorGracePeriodMs) });
      const started = await Promise.allSettled(specs.map((spec) => startComponentThread(spec, credentials, log)));
      // Simulated nodes stop first (they stop heartbeating), then the controllers and scheduler.
      started.forEach((s, i) => {
        if (s.status === 'fulfilled') closers.unshift(named(specs[i]!.kind, () => s.value.stop()));
      });
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
    } else {
      if (opts.controllers) {
        const cm = startControllerManager({
          credentials,
          logger: log,
          clock,
          leaderElection: false,
          ...controllerSettings,
        });
        closers.unshift(named('controller-manager', () => cm.stop()));
      }
      if (opts.scheduler) {
        const sched = startScheduler({ credentials, logger: log, clock, leaderElection: false });
        closers.unshift(named('scheduler', () => sched.stop()));
      }
      if (opts.simNodes) {
        const sim = await startSimNodes({ credentials, logger: log, clock, nodes: opts.simNodes, prefix: 'sim-node', heartbeatIntervalMs: simHeartbeatMs(opts.nodeMonitorGracePeriodMs) });
        closers.unshift(named('sim-nodes', () => sim.stop()));
      }
    }
    const kubeconfigPath = join(dataDir, 'kubeconfig.yaml');
    writeKubeconfig(kubeconfigPath, { server: url.replace('127.0.0.1', host === '0.0.0.0' ? '127.0.0.1' : host), caCert: pki.caCert, token: adminToken });
    log.info('control plane ready', { url, kubeconfig: kubeconfigPath, store: storeOpts.kind });
    return {
      url,
      port,
      kubeconfigPath,
      adminToken,
      caCert: pki.caCert,
      server,
      store,
      async close() {
        for (const c of closers) await c();
      },
    };
  } catch (err) {
    for (const c of closers) await c();
    throw err;
  }
}

/** Longest unix socket path Linux accepts (sun_path is 108 bytes with its terminating NUL). */
const maxSocketPathBytes = 107;

/**
 * DIR/apiserver.sock, where the in-process components reach the API server without TLS; none
 * when the data dir's path is too long for a socket (they use HTTPS then, like everyone else).
 */
function inProcessSocketPath(dataDir: string, log: Logger): string | undefined {
  const path = join(dataDir, 'apiserver.sock');
  if (Buffer.byteLength(path) <= maxSocketPathBytes) return path;
  log.info('data dir path too long for a unix socket; in-process components use HTTPS', { path });
  return undefined;
}

async function ensureSystemNamespaces(server: APIServer): Promise<void> {
  const nsType = server.resourceType('', 'v1', 'namespaces')!;
  for (const name of systemNamespaces) {
    try {
      await server.registry.create(nsType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  }
}

/**
 * How often the server's own simulated nodes renew their Leases: as a kubelet, a quarter of the
 * time the node lifecycle controller waits for them (10 s of the default 40 s), so a short
 * --node-monitor-grace-period does not make healthy nodes flap Unknown. Undefined: the sim's
 * own default.
 */
export function simHeartbeatMs(nodeMonitorGracePeriodMs: number | undefined): number | undefined {
  if (nodeMonitorGracePeriodMs === undefined) return undefined;
  return Math.min(10_000, Math.max(100, Math.floor(nodeMonitorGracePeriodMs / 4)));
}
