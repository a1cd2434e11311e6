/**
 * Reviews: resources a client creates to ask a question, answered at once and never stored.
 * - authentication.k8s.io/v1 SelfSubjectReview: who am I (`kubectl auth whoami`);
 * - authorization.k8s.io/v1 SelfSubjectAccessReview: may I (`kubectl auth can-i`), answered by
 *   the authorizer with its reason, and SelfSubjectRulesReview: what may I in a namespace
 *   (`kubectl auth can-i --list`), the rules that apply there. A server without an authorizer
 *   allows everything, as kube-apiserver's AlwaysAllow authorizer answers.
 */
import { badRequest, invalidQualified } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { isPlainObject } from '../api/object.js';
import { invalidValue } from '../api/validation.js';
import { fromPolicyRule, nonResourceAttributes, resourceAttributes, type RequestAttributes } from '../api/rbac/policy-rule.js';
import type { User } from './auth.js';
import { aggregateMessage, type Authorizer } from './authorization/authorizer.js';
import { checkTypeMeta } from './request.js';

export interface ReviewResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
}

/** Served with the verb create only; listed in discovery beside the stored kinds. */
export const reviewResources: readonly ReviewResource[] = [
  { group: 'authentication.k8s.io', version: 'v1', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview' },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview' },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview' },
];

export function reviewResourceFor(group: string, version: string, plural: string): ReviewResource | undefined {
  return reviewResources.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** The group every authenticated user is in, whatever else its authenticator says. */
const authenticatedGroup = 'system:authenticated';

/**
 * The review with its status filled in for `user` (undefined: a server without authentication)
 * by `authorizer` (undefined: everything is allowed).
 */
export function answerReview(review: ReviewResource, request: KubeObject, user: User | undefined, authorizer?: Authorizer): Record<string, unknown> {
  const apiVersion = `${review.group}/${review.version}`;
  checkTypeMeta(request, [apiVersion], review.kind);
  const metadata = { ...(isPlainObject(request.metadata) ? request.metadata : {}), creationTimestamp: null };
  if (review.kind === 'SelfSubjectReview') {
    const name = user?.name ?? 'system:anonymous';
    const groups = user ? [...user.groups] : ['system:unauthenticated'];
    if (user && !groups.includes(authenticatedGroup)) groups.push(authenticatedGroup);
    const userInfo: Record<string, unknown> = { username: name };
    if (user?.uid) userInfo.uid = user.uid;
    userInfo.groups = groups;
    if (user?.extra) userInfo.extra = user.extra;
    return { apiVersion, kind: review.kind, metadata, status: { userInfo } };
  }
  const spec = isPlainObject(request.spec) ? request.spec : {};
  if (review.kind === 'SelfSubjectRulesReview') {
    if (authorizer && user) {
      const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
      if (!namespace) throw badRequest('no namespace on request');
      const { rules, errors } = authorizer.rulesFor(user, namespace);
      const status: Record<string, unknown> = {
        resourceRules: rules.filter((r) => r.resources.length).map((r) => fromPolicyRule({ ...r, nonResourceURLs: [] })),
        nonResourceRules: rules.filter((r) => r.nonResourceURLs.length).map((r) => fromPolicyRule({ ...r, apiGroups: [], resources: [], resourceNames: [] })),
        incomplete: false,
      };
      if (errors.length) status.evaluationError = aggregateMessage(errors);
      return { apiVersion, kind: review.kind, metadata, spec, status };
    }
    const status = {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    };
    return { apiVersion, kind: review.kind, metadata, spec, status };
  }
  if (isPlainObject(spec.resourceAttributes) === isPlainObject(spec.nonResourceAttributes)) {
    const err = invalidValue('spec.resourceAttributes', spec.resourceAttributes ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
    throw invalidQualified(review.kind, review.group, '', [err]);
  }
  if (!authorizer || !user) return { apiVersion, kind: review.kind, metadata, spec, status: { allowed: true } };
  const decision = authorizer.authorize(user, accessReviewAttributes(spec));
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return { apiVersion, kind: review.kind, metadata, spec, status };
}

/** What a SelfSubjectAccessReview asks about, as kube's ResourceAttributesFrom / NonResourceAttributesFrom read it. */
function accessReviewAttributes(spec: Record<string, unknown>): RequestAttributes {
  const str = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');
  if (isPlainObject(spec.resourceAttributes)) {
    const r = spec.resourceAttributes;
    return resourceAttributes({
      verb: str(r, 'verb'),
      namespace: str(r, 'namespace'),
      apiGroup: str(r, 'group'),
      apiVersion: str(r, 'version') || '*',
      resource: str(r, 'resource'),
      subresource: str(r, 'subresource'),
      name: str(r, 'name'),
    });
  }
  const n = spec.nonResourceAttributes as Record<string, unknown>;
  return nonResourceAttributes(str(n, 'verb'), str(n, 'path'));
}

