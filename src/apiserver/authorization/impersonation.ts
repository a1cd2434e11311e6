/**
 * Impersonation (kube-apiserver's WithImpersonation filter): a request with Impersonate-User
 * (and optionally Impersonate-Group, Impersonate-Uid, Impersonate-Extra-<key>) headers acts as
 * that user, once its sender is allowed the verb `impersonate` on each: users, groups and
 * authentication.k8s.io uids / userextras (the key as subresource); a service account's user
 * name ("system:serviceaccount:NS:NAME") is checked as serviceaccounts NAME in NS.
 */
import type { IncomingMessage } from 'node:http';
import { internalError } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../api/labels.js';
import { resourceAttributes, type RequestAttributes } from '../../api/rbac/policy-rule.js';
import type { User } from '../auth.js';
import { forbiddenRequest, type Authorizer } from './authorizer.js';

const userHeader = 'impersonate-user';
const groupHeader = 'impersonate-group';
const uidHeader = 'impersonate-uid';
const extraPrefix = 'impersonate-extra-';

const serviceAccountPrefix = 'system:serviceaccount:';

/** Whether the request carries the headers that start impersonation (a cheap test for every request). */
export function asksToImpersonate(req: IncomingMessage): boolean {
  const h = req.headers;
  return h[userHeader] !== undefined || h[groupHeader] !== undefined || h[uidHeader] !== undefined;
}

/** Every value a header was sent with, in order (Node joins repeated unknown headers with ", "). */
function headerValues(req: IncomingMessage, lowerName: string): string[] {
  const out: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === lowerName) out.push(raw[i + 1]!);
  return out;
}

/**
 * "system:serviceaccount:NS:NAME" as its namespace and name (both valid names), or undefined
 * for any other user name (kube's serviceaccount.SplitUsername).
 */
function splitServiceAccount(name: string): { namespace: string; name: string } | undefined {
  if (!name.startsWith(serviceAccountPrefix)) return undefined;
  const parts = name.slice(serviceAccountPrefix.length).split(':');
  if (parts.length !== 2 || isDNS1123Label(parts[0]!).length || isDNS1123Subdomain(parts[1]!).length) return undefined;
  return { namespace: parts[0]!, name: parts[1]! };
}

/**
 * The user the request acts as: `requestor` itself without impersonation headers, otherwise
 * the impersonated user, each part of it authorized first (403 for the first that is not, as
 * kube words it; 500 for groups, uid or extras without a user, as kube answers that).
 */
export function impersonatedUser(req: IncomingMessage, requestor: User, authorizer: Authorizer): User {
  const requested = headerValues(req, userHeader)[0] ?? '';
  const groupsAsked = headerValues(req, groupHeader);
  const uid = headerValues(req, uidHeader)[0] ?? '';
  const extras: [string, string][] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const h = raw[i]!.toLowerCase();
    if (h.startsWith(extraPrefix)) extras.push([unescapeExtraKey(h.slice(extraPrefix.length)), raw[i + 1]!]);
  }
  if (!requested) {
    if (groupsAsked.length || uid || extras.length) throw internalError('requested impersonation of groups, uid or extras without impersonating a user');
    return requestor;
  }
  const checks: RequestAttributes[] = [];
  const sa = splitServiceAccount(requested);
  let groups: string[] = [];
  if (sa) {
    checks.push(resourceAttributes({ verb: 'impersonate', resource: 'serviceaccounts', apiVersion: 'v1', namespace: sa.namespace, name: sa.name }));
    // A service account's groups follow from its name, unless groups are given.
    if (!groupsAsked.length) groups = ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`];
  } else {
    checks.push(resourceAttributes({ verb: 'impersonate', resource: 'users', apiVersion: 'v1', name: requested }));
  }
  for (const g of groupsAsked) {
    checks.push(resourceAttributes({ verb: 'impersonate', resource: 'groups', apiVersion: 'v1', name: g }));
    groups.push(g);
  }
  const extra: Record<string, string[]> = {};
  for (const [key, value] of extras) {
    checks.push(resourceAttributes({ verb: 'impersonate', apiGroup: 'authentication.k8s.io', apiVersion: 'v1', resource: 'userextras', subresource: key, name: value }));
    (extra[key] ??= []).push(value);
  }
  if (uid) checks.push(resourceAttributes({ verb: 'impersonate', apiGroup: 'authentication.k8s.io', apiVersion: 'v1', resource: 'uids', name: uid }));
  for (const attrs of checks) {
    const d = authorizer.authorize(requestor, attrs);
    if (!d.allowed) throw forbiddenRequest(requestor, attrs, d.reason);
  }
  if (requested !== 'system:anonymous') {
    if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) groups.push('system:authenticated');
  } else if (!groups.includes('system:unauthenticated')) {
    groups.push('system:unauthenticated');
  }
  const user: User = { name: requested, groups };
  if (uid) user.uid = uid;
  if (extras.length) user.extra = extra;
  return user;
}

/** An extra key is sent %-encoded (it may hold characters a header name may not); undecodable ones are kept as sent. */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}
