/**
 * The authorizer contract and what every authorizer shares: members of system:masters may do
 * anything (kube-apiserver's privileged-group authorizer, consulted before RBAC, and the hot
 * path: every peapod component and the admin use it), and the 403 kube-apiserver answers a
 * request no authorizer allows, worded as its responsewriters.Forbidden words it.
 */
import { ApiError } from '../../api/errors.js';
import type { PolicyRule, RequestAttributes } from '../../api/rbac/policy-rule.js';
import type { User } from '../auth.js';

/** The group whose members every authorizer lets do anything (user.SystemPrivilegedGroup). */
export const PRIVILEGED_GROUP = 'system:masters';

export interface Decision {
  allowed: boolean;
  /** Why, in kube's words ("RBAC: allowed by ..."); '' when there is nothing to say. */
  reason: string;
}

/** The rules that apply to a user in a namespace, for SelfSubjectRulesReview and escalation checks. */
export interface RulesResult {
  rules: PolicyRule[];
  /** Bindings whose role could not be resolved, each in kube's words; the rules found still apply. */
  errors: string[];
}

export interface Authorizer {
  /** Whether `user` may do what `attrs` describe. Synchronous: an authorizer keeps what it needs in memory. */
  authorize(user: User, attrs: RequestAttributes): Decision;
  /** The rules that apply to `user` in `namespace` ('' for the cluster-wide ones only). */
  rulesFor(user: User, namespace: string): RulesResult;
}

export function isPrivileged(user: User): boolean {
  return user.groups.includes(PRIVILEGED_GROUP);
}

/** `inner`, except that members of system:masters are allowed everything without asking it. */
export function withPrivilegedGroup(inner: Authorizer): Authorizer {
  return {
    authorize: (user, attrs) => (isPrivileged(user) ? { allowed: true, reason: '' } : inner.authorize(user, attrs)),
    rulesFor: (user, namespace) => inner.rulesFor(user, namespace),
  };
}

/**
 * kube-apiserver's 403 for a request that is not allowed:
 * `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"`,
 * `nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope`,
 * `forbidden: User "u" cannot get path "/apis"`; the authorizer's reason, if any, after a colon.
 */
export function forbiddenRequest(user: User, a: RequestAttributes, reason: string): ApiError {
  let why: string;
  if (!a.resourceRequest) {
    why = `User ${JSON.stringify(user.name)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  } else {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
    why = `User ${JSON.stringify(user.name)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${scope}`;
  }
  if (reason) why += `: ${reason}`;
  // apierrors.NewForbidden(group resource, name, why).
  const qualified = a.resource ? (a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource) : '';
  const message = !qualified ? `forbidden: ${why}` : a.name ? `${qualified} ${JSON.stringify(a.name)} is forbidden: ${why}` : `${qualified} is forbidden: ${why}`;
  const details: { name?: string; group?: string; kind?: string } = {};
  if (a.name) details.name = a.name;
  if (a.apiGroup) details.group = a.apiGroup;
  if (a.resource) details.kind = a.resource;
  return new ApiError(403, 'Forbidden', message, details);
}

/** utilerrors.NewAggregate(errs).Error(): one message as it is, several deduplicated in brackets. */
export function aggregateMessage(errors: readonly string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}
