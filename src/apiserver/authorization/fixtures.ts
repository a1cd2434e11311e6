/**
 * For the authorization tests: an API server (not listening unless asked) on a fresh SQLite
 * store with RBAC on, the bootstrap policy in place, and a namespace `team`; helpers to write
 * roles and bindings as the server itself does.
 */
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { allResourceTypes } from '../../api/registry.js';
import type { ResourceType } from '../../api/resource.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { Store } from '../../storage/interface.js';
import { silentLogger } from '../../util/logger.js';
import type { TokenAuthenticator, User } from '../auth.js';
import { APIServer } from '../server.js';
import { enableRBAC } from './rbac-setup.js';

export const G = 'rbac.authorization.k8s.io';

export const admin: User = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
export const jane: User = { name: 'jane', groups: ['devs', 'system:authenticated'] };
export const bot: User = { name: 'system:serviceaccount:team:bot', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] };

export async function rbacServer(t: TestContext, opts: { store?: Store; authenticator?: TokenAuthenticator; socketPath?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-rbac-'));
  const store = opts.store ?? SqliteStore.open({ path: join(dir, 'state.db'), synchronous: 'NORMAL' });
  const server = new APIServer({ store, types: allResourceTypes, logger: silentLogger, authenticator: opts.authenticator, socketPath: opts.socketPath });
  const { authorizer, rbac, close } = await enableRBAC(server, silentLogger);
  t.after(async () => {
    close();
    await server.close();
    if (!opts.store) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const type = (plural: string): ResourceType => allResourceTypes.find((rt) => rt.plural === plural)!;
  await server.registry.create(type('namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }).catch((err) => {
    if (!(err instanceof ApiError && err.code === 409)) throw err; // a store used before
  });
  /** Writes an RBAC object as `user` (default: the server itself). */
  const create = (plural: string, obj: Record<string, unknown>, user?: User) =>
    server.registry.create(type(plural), (obj.metadata as KubeObject['metadata'])?.namespace, obj as KubeObject, { user });
  return { server, registry: server.registry, authorizer, rbac, type, create, dir };
}

export function role(name: string, namespace: string | undefined, rules: Record<string, string[]>[]): Record<string, unknown> {
  return { apiVersion: `${G}/v1`, kind: namespace ? 'Role' : 'ClusterRole', metadata: { name, ...(namespace ? { namespace } : {}) }, rules };
}

export function binding(name: string, namespace: string | undefined, roleRef: { kind: string; name: string }, subjects: Record<string, string>[]): Record<string, unknown> {
  return {
    apiVersion: `${G}/v1`,
    kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: G, ...roleRef },
    subjects,
  };
}
