/**
 * Reviews: resources a client creates to ask a question, answered at once and never stored.
 * - authentication.k8s.io/v1 SelfSubjectReview: who am I (`kubectl auth whoami`);
 * - authentication.k8s.io/v1 TokenReview: whose is this token (for components and webhooks that
 *   authenticate callers with the cluster's tokens);
 * - authorization.k8s.io/v1 SelfSubjectAccessReview: may I (`kubectl auth can-i`), answered by
 *   the authorizer with its reason, and SelfSubjectRulesReview: what may I in a namespace
 *   (`kubectl auth can-i --list`), the rules that apply there; SubjectAccessReview and the
 *   namespaced LocalSubjectAccessReview: may this user or these groups. A server without an
 *   authorizer allows everything, as kube-apiserver's AlwaysAllow authorizer answers.
 */
import { badRequest, invalidQualified, type FieldError } from '../api/errors.js';
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
  /** Created in a namespace (LocalSubjectAccessReview); the others are cluster-scoped. */
  namespaced?: boolean;
}

/** Served with the verb create only; listed in discovery beside the stored kinds. */
export const reviewResources: readonly ReviewResource[] = [
  { group: 'authentication.k8s.io', version: 'v1', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview' },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview' },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview' },
  { group: 'authentication.k8s.io', version: 'v1', plural: 'tokenreviews', singular: 'tokenreview', kind: 'TokenReview' },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'subjectaccessreviews', singular: 'subjectaccessreview', kind: 'SubjectAccessReview' },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    plural: 'localsubjectaccessreviews',
    singular: 'localsubjectaccessreview',
    kind: 'LocalSubjectAccessReview',
    namespaced: true,
  },
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
export function answerReview(
  review: ReviewResource,
  request: KubeObject,
  user: User | undefined,
  authorizer?: Authorizer,
  /** The namespace in the URL, for a namespaced review. */
  namespace?: string,
): Record<string, unknown> {
  const apiVersion = `${review.group}/${review.version}`;
  checkTypeMeta(request, [apiVersion], review.kind);
  const metadata: Record<string, unknown> = { ...(isPlainObject(request.metadata) ? request.metadata : {}), creationTimestamp: null };
  if (review.kind === 'SubjectAccessReview' || review.kind === 'LocalSubjectAccessReview') {
    return answerSubjectAccessReview(review, request, metadata, authorizer, namespace);
  }
  if (review.kind === 'TokenReview') throw new Error('TokenReview is answered by answerTokenReview');
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
  const errs = attributeErrors(spec);
  if (errs.length) throw invalidQualified(review.kind, review.group, '', errs);
  return { apiVersion, kind: review.kind, metadata, spec, status: decide(authorizer, user, spec) };
}

/** Exactly one of resourceAttributes and nonResourceAttributes, as kube validates an access review. */
function attributeErrors(spec: Record<string, unknown>): FieldError[] {
  const resource = isPlainObject(spec.resourceAttributes);
  const nonResource = isPlainObject(spec.nonResourceAttributes);
  if (resource && nonResource) {
    return [invalidValue('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes')];
  }
  if (!resource && !nonResource) {
    return [invalidValue('spec.resourceAttributes', spec.resourceAttributes ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified')];
  }
  return [];
}

/** The access review's status: the authorizer's decision for `user` (everything, without one). */
function decide(authorizer: Authorizer | undefined, user: User | undefined, spec: Record<string, unknown>): Record<string, unknown> {
  if (!authorizer || !user) return { allowed: true };
  const decision = authorizer.authorize(user, accessReviewAttributes(spec));
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return status;
}

/**
 * SubjectAccessReview and LocalSubjectAccessReview: the question asked for the user and groups
 * the spec names (exactly those: no group is added), by whoever may create the review (RBAC
 * authorized the create itself). The local one is about its own namespace only.
 */
function answerSubjectAccessReview(
  review: ReviewResource,
  request: KubeObject,
  metadata: Record<string, unknown>,
  authorizer: Authorizer | undefined,
  namespace: string | undefined,
): Record<string, unknown> {
  const apiVersion = `${review.group}/${review.version}`;
  const spec = isPlainObject(request.spec) ? request.spec : {};
  const errs = attributeErrors(spec);
  const subject = typeof spec.user === 'string' ? spec.user : '';
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
  if (!subject && groups.length === 0) errs.push(invalidValue('spec.user', subject, 'at least one of user or group must be specified'));
  if (review.namespaced) {
    if (metadata.namespace === undefined || metadata.namespace === '') metadata.namespace = namespace;
    else if (metadata.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (isPlainObject(spec.nonResourceAttributes)) errs.push(invalidValue('spec.nonResourceAttributes', spec.nonResourceAttributes, 'disallowed on this kind of request'));
    const attrs = spec.resourceAttributes;
    if (isPlainObject(attrs) && (attrs.namespace ?? '') !== namespace) {
      errs.push(invalidValue('spec.resourceAttributes.namespace', attrs.namespace ?? '', 'must match metadata.namespace'));
    }
  }
  if (errs.length) throw invalidQualified(review.kind, review.group, '', errs);
  const who: User = { name: subject, groups };
  if (typeof spec.uid === 'string' && spec.uid) who.uid = spec.uid;
  if (isPlainObject(spec.extra)) who.extra = spec.extra as User['extra'];
  return { apiVersion, kind: review.kind, metadata, spec, status: decide(authorizer, who, spec) };
}

/** Finds whose a token is, for the audiences asked about (the API server's when none). */
export type TokenReviewer = (token: string, audiences: readonly string[]) => Promise<{ user: User; audiences: string[] } | undefined>;

/** TokenReview: `status.authenticated` and the user, as the API server's own authenticator sees the token. */
export async function answerTokenReview(request: KubeObject, reviewToken: TokenReviewer): Promise<Record<string, unknown>> {
  const apiVersion = 'authentication.k8s.io/v1';
  checkTypeMeta(request, [apiVersion], 'TokenReview');
  const metadata = { ...(isPlainObject(request.metadata) ? request.metadata : {}), creationTimestamp: null };
  const spec = isPlainObject(request.spec) ? request.spec : {};
  if (typeof spec.token !== 'string' || !spec.token) throw badRequest('token is required for TokenReview in authentication');
  const audiences = Array.isArray(spec.audiences) ? spec.audiences.filter((a): a is string => typeof a === 'string') : [];
  const found = await reviewToken(spec.token, audiences);
  if (!found) return { apiVersion, kind: 'TokenReview', metadata, spec, status: { authenticated: false, user: {} } };
  const user: Record<string, unknown> = { username: found.user.name };
  if (found.user.uid) user.uid = found.user.uid;
  user.groups = found.user.groups;
  if (found.user.extra) user.extra = found.user.extra;
  return { apiVersion, kind: 'TokenReview', metadata, spec, status: { authenticated: true, user, audiences: found.audiences } };
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

