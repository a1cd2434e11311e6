/**
 * Escalation prevention, as kube's RBAC storage (pkg/registry/rbac/{role,clusterrole,...}/policybased) applies it:
 * nobody grants permissions they do not hold.
 * - A Role or ClusterRole may be written by a user who holds every permission it grants, or who
 *   may `escalate` on roles / clusterroles; setting (or changing) a ClusterRole's
 *   aggregationRule takes every permission there is.
 * - A RoleBinding or ClusterRoleBinding may be written by a user who holds every permission of
 *   the role it refers to, or who may `bind` that role.
 * Members of system:masters and the server's own writes (no user) pass unchecked; so does an
 * update that only touches what the garbage collector writes (finalizers, owner references).
 */
import { forbiddenObject, notFound } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { isPlainObject } from '../../api/object.js';
import type { ResourceType } from '../../api/resource.js';
import { roleRefOf } from '../../api/kinds/rolebindings.js';
import { aggregationSelectors } from '../../api/rbac/aggregation.js';
import {
  compactRules,
  compactString,
  covers,
  fullAuthority,
  goQuoteList,
  RBAC_GROUP,
  resourceAttributes,
  toPolicyRule,
  type PolicyRule,
} from '../../api/rbac/policy-rule.js';
import { deepEqual } from '../../api/kinds/common.js';
import type { AdmissionHook } from '../registry.js';
import type { User } from '../auth.js';
import { aggregateMessage, isPrivileged, type Authorizer } from './authorizer.js';
import type { RBACAuthorizer } from './rbac.js';

/**
 * The reason `user` may not grant `rules` in `namespace` ('' for cluster-wide), in kube's
 * words, or undefined when their own rules there cover them (ConfirmNoEscalation).
 */
export function escalationError(rbac: Pick<Authorizer, 'rulesFor'>, user: User, namespace: string, rules: readonly PolicyRule[]): string | undefined {
  const owned = rbac.rulesFor(user, namespace);
  const { covered, missing } = covers(owned.rules, rules);
  if (covered) return undefined;
  const described = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.name)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${described.join('\n')}`;
  if (owned.errors.length) msg += `; resolution errors: [${aggregateMessage(owned.errors)}]`;
  return msg;
}

/** Whether the update changes nothing but what the garbage collector writes (kube's IsOnlyMutatingGCFields). */
function onlyGCFieldsChange(obj: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { ownerReferences: _o, finalizers: _f, managedFields: _m, resourceVersion: _r, generation: _g, ...meta } = o.metadata;
    return { ...o, metadata: meta };
  };
  return deepEqual(strip(obj), strip(old));
}

const rulesOf = (obj: KubeObject): PolicyRule[] => (Array.isArray(obj.rules) ? obj.rules.map(toPolicyRule) : []);

/** The escalation checks as a validating admission hook for the four RBAC kinds. */
export function rbacEscalationAdmission(authorizer: Authorizer, rbac: RBACAuthorizer): AdmissionHook {
  return (op, rt, obj, old, opts) => {
    if (rt.group !== RBAC_GROUP) return;
    const user = opts?.user;
    if (!user || isPrivileged(user)) return;
    if (old && onlyGCFieldsChange(obj, old)) return;
    const namespace = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    if (rt.plural === 'roles' || rt.plural === 'clusterroles') return checkRole(authorizer, user, rt, obj, old, op === 'update' ? name : '');
    return checkBinding(authorizer, rbac, user, rt, obj, namespace);
  };
}

function checkRole(authorizer: Authorizer, user: User, rt: ResourceType, obj: KubeObject, old: KubeObject | undefined, requestName: string): void {
  const namespace = obj.metadata.namespace ?? '';
  const name = obj.metadata.name ?? '';
  // `escalate` on the resource (kube's RoleEscalationAuthorized): the request's own name, none on a create.
  const escalate = resourceAttributes({ verb: 'escalate', apiGroup: RBAC_GROUP, apiVersion: '*', resource: rt.plural, namespace, name: requestName });
  if (authorizer.authorize(user, escalate).allowed) return;
  const why = escalationError(authorizer, user, namespace, rulesOf(obj));
  if (why) throw forbiddenObject(rt.plural, name, why, RBAC_GROUP);
  if (rt.plural === 'clusterroles' && (aggregationSelectors(obj) || (old && aggregationSelectors(old)))) {
    if (escalationError(authorizer, user, '', fullAuthority)) {
      throw forbiddenObject(rt.plural, name, 'must have cluster-admin privileges to use the aggregationRule', RBAC_GROUP);
    }
  }
}

function checkBinding(authorizer: Authorizer, rbac: RBACAuthorizer, user: User, rt: ResourceType, obj: KubeObject, namespace: string): void {
  const name = obj.metadata.name ?? '';
  const ref = roleRefOf(obj);
  if (!isPlainObject(obj.roleRef)) return; // validation has refused it already
  // `bind` on the role itself (kube's BindingAuthorized), in the binding's namespace.
  const resource = ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : '';
  if (resource) {
    const bind = resourceAttributes({ verb: 'bind', apiGroup: ref.apiGroup, resource, namespace, name: ref.name });
    if (authorizer.authorize(user, bind).allowed) return;
  }
  const role = rbac.roleReferenceRules(ref, namespace);
  // kube reads the role from storage here: a missing one is its NotFound.
  if ('error' in role) throw notFound(role.resource, ref.name, RBAC_GROUP);
  const why = escalationError(authorizer, user, namespace, role.rules);
  if (why) throw forbiddenObject(rt.plural, name, why, RBAC_GROUP);
}
