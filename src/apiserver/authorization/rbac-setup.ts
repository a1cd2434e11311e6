/**
 * RBAC turned on for an API server, as kube-apiserver runs with --authorization-mode=RBAC:
 * roles and bindings cached in memory, the escalation checks on their writes, the bootstrap
 * policy made true, then every request authorized (system:masters first, then RBAC).
 */
import type { Logger } from '../../util/logger.js';
import type { APIServer } from '../server.js';
import { withPrivilegedGroup, type Authorizer } from './authorizer.js';
import { ensureBootstrapPolicy } from './bootstrap.js';
import { rbacEscalationAdmission } from './escalation.js';
import { RBACAuthorizer, type RBACTypes } from './rbac.js';

const group = 'rbac.authorization.k8s.io';

/** Turns RBAC on for `server` (before it listens); resolves once the caches and the bootstrap policy are in. */
export async function enableRBAC(server: APIServer, log: Logger): Promise<{ authorizer: Authorizer; rbac: RBACAuthorizer; close(): void }> {
  const type = (plural: string) => {
    const rt = server.resourceType(group, 'v1', plural);
    if (!rt) throw new Error(`${plural}.${group} is not served`);
    return rt;
  };
  const types: RBACTypes = { roles: type('roles'), clusterroles: type('clusterroles'), rolebindings: type('rolebindings'), clusterrolebindings: type('clusterrolebindings') };
  const rbac = new RBACAuthorizer(server.registry, types, log);
  try {
    await rbac.start();
    const authorizer = withPrivilegedGroup(rbac);
    server.registry.addAdmission(rbacEscalationAdmission(authorizer, rbac));
    // The server's own writes (no user): never checked for escalation; seen by the caches at once.
    await ensureBootstrapPolicy(server.registry, types, log);
    server.setAuthorizer(authorizer);
    return { authorizer, rbac, close: () => rbac.close() };
  } catch (err) {
    rbac.close();
    throw err;
  }
}
