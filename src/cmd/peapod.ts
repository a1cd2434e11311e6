/**
 * The single `peapod` binary. Subcommands:
 *   server  run the control plane (API server + store)
 *   up      the quick-start cluster: control plane in ./.peapod (what `npm start` runs)
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createLogger } from '../util/logger.js';
import { startControlPlane, type ControlPlaneOptions } from '../controlplane/controlplane.js';

const usage = `Usage: peapod <command> [options]

Commands:
  server   Run the control plane.
             --data-dir DIR            where state, certificates and kubeconfig.yaml live (required)
             --port N                  HTTPS port on 127.0.0.1 (default 6443; 0 picks a free one)
             --store sqlite|etcd       where objects are kept (default sqlite, DIR/state.db)
             --etcd-endpoints URL,...  etcd client URLs, with --store etcd
             --etcd-prefix P           key prefix inside etcd (default none)
             --service-cidr CIDR       Service cluster IP range (default 10.96.0.0/12)
  up       Start a local cluster for trying peapod out (data in ./.peapod, port 6443).
  help     Show this text.
`;

async function runServer(argv: string[], defaults: Partial<Record<string, string>> = {}): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      store: { type: 'string' },
      'etcd-endpoints': { type: 'string' },
      'etcd-prefix': { type: 'string' },
      'service-cidr': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const dataDir = values['data-dir'] ?? defaults['data-dir'];
  if (!dataDir) fail('--data-dir is required: the directory where peapod keeps its state (e.g. --data-dir ./.peapod)');
  const portText = values.port ?? defaults.port ?? '6443';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a number from 0 to 65535, got ${JSON.stringify(portText)}`);
  const storeKind = values.store ?? 'sqlite';
  let store: ControlPlaneOptions['store'];
  if (storeKind === 'sqlite') {
    store = { kind: 'sqlite' };
  } else if (storeKind === 'etcd') {
    const eps = (values['etcd-endpoints'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!eps.length) fail('--store etcd needs --etcd-endpoints http://127.0.0.1:2379[,...]');
    for (const e of eps) if (!/^https?:\/\/[^/]+$/.test(e)) fail(`--etcd-endpoints: ${JSON.stringify(e)} is not a URL like http://127.0.0.1:2379`);
    store = { kind: 'etcd', endpoints: eps, prefix: values['etcd-prefix'] };
  } else {
    fail(`--store must be "sqlite" or "etcd", got ${JSON.stringify(storeKind)}`);
  }
  const level = (values['log-level'] ?? process.env.PEAPOD_LOG_LEVEL ?? 'info') as 'debug' | 'info' | 'warn' | 'error';
  const logger = createLogger({}, { level });
  const cp = await startControlPlane({ dataDir: resolve(dataDir!), port, store, serviceCIDR: values['service-cidr'], logger });
  process.stdout.write(
    `peapod control plane is up at ${cp.url}\n` +
      `  kubectl --kubeconfig ${cp.kubeconfigPath} get namespaces\n`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    await cp.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function fail(msg: string): never {
  process.stderr.write(`peapod: ${msg}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'server':
      return runServer(rest);
    case 'up':
      return runServer(rest, { 'data-dir': '.peapod', port: '6443' });
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
