/**
 * Reads a kubeconfig (the file kubectl uses) down to what RestClient needs: the current
 * context's server, CA, bearer token and default namespace.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export interface KubeconfigCredentials {
  server: string;
  /** PEM of the cluster's CA. */
  caCert: string;
  token: string;
  /** The context's namespace, "default" when it names none. */
  namespace: string;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

function pick(list: unknown, name: string, field: 'cluster' | 'user' | 'context', what: string): Record<string, unknown> {
  const found = Array.isArray(list) ? (list as Named<Record<string, unknown>>[]).find((e) => e?.name === name) : undefined;
  const body = found?.[field];
  if (!body || typeof body !== 'object') throw new Error(`kubeconfig: ${what} "${name}" not found`);
  return body as Record<string, unknown>;
}

/** Parses kubeconfig text; relative file references resolve against `baseDir`. */
export function parseKubeconfig(text: string, baseDir = process.cwd()): KubeconfigCredentials {
  const doc = parse(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object') throw new Error('kubeconfig: not a YAML mapping');
  const current = doc['current-context'];
  if (typeof current !== 'string' || !current) throw new Error('kubeconfig: no current-context');
  const context = pick(doc.contexts, current, 'context', 'context');
  const cluster = pick(doc.clusters, String(context.cluster ?? ''), 'cluster', 'cluster');
  const user = pick(doc.users, String(context.user ?? ''), 'user', 'user');
  const file = (p: unknown) => readFileSync(isAbsolute(String(p)) ? String(p) : join(baseDir, String(p)), 'utf8');

  const server = cluster.server;
  if (typeof server !== 'string' || !server) throw new Error(`kubeconfig: cluster "${context.cluster}" has no server`);
  let caCert: string;
  if (typeof cluster['certificate-authority-data'] === 'string') {
    caCert = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  } else if (typeof cluster['certificate-authority'] === 'string') {
    caCert = file(cluster['certificate-authority']);
  } else {
    throw new Error(`kubeconfig: cluster "${context.cluster}" has no certificate authority`);
  }
  let token: string;
  if (typeof user.token === 'string') token = user.token;
  else if (typeof user.tokenFile === 'string') token = file(user.tokenFile).trim();
  else throw new Error(`kubeconfig: user "${context.user}" has no bearer token`);
  const namespace = typeof context.namespace === 'string' && context.namespace ? context.namespace : 'default';
  return { server, caCert, token, namespace };
}

export function loadKubeconfig(path: string): KubeconfigCredentials {
  return parseKubeconfig(readFileSync(path, 'utf8'), dirname(path));
}
