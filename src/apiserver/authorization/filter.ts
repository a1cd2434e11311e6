/**
 * Authorization of every request after authentication, on every listener: impersonation first
 * (impersonation.ts), then the request's attributes (attributes.ts) against the authorizer. A
 * request from system:masters without impersonation headers costs three header lookups and a
 * group test: the admin and every peapod component send those, pod creates among them.
 */
import type { IncomingMessage } from 'node:http';
import type { User } from '../auth.js';
import { requestAttributes } from './attributes.js';
import { forbiddenRequest, isPrivileged, type Authorizer } from './authorizer.js';
import { asksToImpersonate, impersonatedUser } from './impersonation.js';

/**
 * The user the request acts as (impersonated or `user` itself) once the authorizer allows what
 * it asks for; throws 403 Forbidden, in kube-apiserver's words, when it does not.
 */
export function authorizeRequest(authorizer: Authorizer, req: IncomingMessage, path: string, query: URLSearchParams, user: User): User {
  let acting = user;
  if (asksToImpersonate(req)) acting = impersonatedUser(req, user, authorizer);
  if (isPrivileged(acting)) return acting;
  const attrs = requestAttributes(req.method ?? 'GET', path, query);
  const decision = authorizer.authorize(acting, attrs);
  if (!decision.allowed) throw forbiddenRequest(acting, attrs, decision.reason);
  return acting;
}
