/**
 * Reviews: resources a client creates to ask a question, answered at once and never stored.
 * - authentication.k8s.io/v1 SelfSubjectReview: who am I (`kubectl auth whoami`);
 * - authorization.k8s.io/v1 SelfSubjectAccessReview: may I (`kubectl auth can-i`), and
 *   SelfSubjectRulesReview: what may I (`kubectl auth can-i --list`). There is no authorization
 *   here yet, so every authenticated user may do everything: yes, and every verb on everything,
 *   as kube-apiserver's AlwaysAllow authorizer answers.
 */
import { invalidQualified } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { isPlainObject } from '../api/object.js';
import { invalidValue } from '../api/validation.js';
import type { User } from './auth.js';
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

/** The review with its status filled in for `user` (undefined: a server without authentication). */
export function answerReview(review: ReviewResource, request: KubeObject, user: User | undefined): Record<string, unknown> {
  const apiVersion = `${review.group}/${review.version}`;
  checkTypeMeta(request, [apiVersion], review.kind);
  const metadata = { ...(isPlainObject(request.metadata) ? request.metadata : {}), creationTimestamp: null };
  if (review.kind === 'SelfSubjectReview') {
    const name = user?.name ?? 'system:anonymous';
    const groups = user ? [...user.groups] : ['system:unauthenticated'];
    if (user && !groups.includes(authenticatedGroup)) groups.push(authenticatedGroup);
    return { apiVersion, kind: review.kind, metadata, status: { userInfo: { username: name, groups } } };
  }
  const spec = isPlainObject(request.spec) ? request.spec : {};
  if (review.kind === 'SelfSubjectRulesReview') {
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
  return { apiVersion, kind: review.kind, metadata, spec, status: { allowed: true } };
}
