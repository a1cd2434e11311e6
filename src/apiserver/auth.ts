/**
 * Bearer-token authentication. The admin token is generated on first start and kept in
 * DIR/tokens; every request but the health endpoints must present one of the known tokens or
 * a service account token (serviceaccount-tokens.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { serviceAccountUser, type ServiceAccountClaims, type ServiceAccountTokens } from './serviceaccount-tokens.js';

export interface User {
  name: string;
  /** Every authenticated user is in system:authenticated, as kube's authenticators put it there. */
  groups: string[];
  /** Set by impersonation (Impersonate-Uid) only. */
  uid?: string;
  /** Set by impersonation (Impersonate-Extra-*) only. */
  extra?: Record<string, string[]>;
}

/** The group every authenticated user is in (kube's AuthenticatedGroupAdder adds it). */
export const AUTHENTICATED_GROUP = 'system:authenticated';

/**
 * Checks a service account token's claims against the cluster: the service account (and the
 * object the token is bound to) must still exist with the uid the token names.
 */
export type ServiceAccountCheck = (claims: ServiceAccountClaims) => Promise<boolean>;

export class TokenAuthenticator {
  private serviceAccounts?: { tokens: ServiceAccountTokens; check: ServiceAccountCheck; now: () => number };

  /**
   * By token. A hash lookup, as kube-apiserver's token file authenticator does: the tokens are
   * 192 random bits, so what a lookup's timing could tell about them is worth nothing, and
   * every request pays for this.
   */
  private readonly tokens = new Map<string, User>();

  /** Accepts `token` as `user` (who is put in system:authenticated as well). */
  add(token: string, user: User): void {
    const groups = user.groups.includes(AUTHENTICATED_GROUP) ? user.groups : [...user.groups, AUTHENTICATED_GROUP];
    this.tokens.set(token, { ...user, groups });
  }

  /** Also accept the service account tokens `tokens` issued, while `check` finds their subjects. */
  acceptServiceAccountTokens(tokens: ServiceAccountTokens, check: ServiceAccountCheck, now: () => number = Date.now): void {
    this.serviceAccounts = { tokens, check, now };
  }

  /**
   * The user the request's bearer token belongs to, or undefined. Static tokens answer at once;
   * a service account token (a JWT) needs a look at the cluster, so its answer is a promise.
   */
  authenticate(req: IncomingMessage): User | undefined | Promise<User | undefined> {
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Bearer ')) return undefined;
    const token = h.slice(7).trim();
    const user = this.tokens.get(token);
    if (user || !this.serviceAccounts) return user;
    const sa = this.serviceAccounts;
    const claims = sa.tokens.verify(token, sa.now());
    if (!claims) return undefined;
    return sa.check(claims).then((ok) => (ok ? serviceAccountUser(claims.namespace, claims.name) : undefined));
  }

  /**
   * A TokenReview's question: whose is `token`, for which of `audiences` (none: the API
   * server's own). Static tokens are good for any audience, as kube treats audience-agnostic
   * authenticators; a service account token only for those it names.
   */
  async reviewToken(token: string, audiences: readonly string[]): Promise<{ user: User; audiences: string[] } | undefined> {
    const sa = this.serviceAccounts;
    const wanted = audiences.length ? [...audiences] : [...(sa?.tokens.apiAudiences ?? [])];
    const user = this.tokens.get(token);
    if (user) return { user, audiences: wanted };
    if (!sa) return undefined;
    const claims = sa.tokens.verify(token, sa.now(), wanted);
    if (!claims || !(await sa.check(claims))) return undefined;
    return { user: serviceAccountUser(claims.namespace, claims.name), audiences: claims.audiences.filter((a) => wanted.includes(a)) };
  }
}

/** Reads DIR/tokens (lines "token,user,group1|group2"), creating it with an admin token if absent. */
export function loadOrCreateTokens(dataDir: string): { auth: TokenAuthenticator; adminToken: string } {
  const path = join(dataDir, 'tokens');
  if (!existsSync(path)) {
    const token = randomBytes(24).toString('hex');
    writeFileSync(path, `${token},admin,system:masters\n`, { mode: 0o600 });
  }
  const auth = new TokenAuthenticator();
  let adminToken = '';
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [token, name, groups] = line.trim().split(',');
    if (!token || !name) continue;
    const user = { name, groups: groups ? groups.split('|') : [] };
    auth.add(token, user);
    if (!adminToken && user.groups.includes('system:masters')) adminToken = token;
  }
  return { auth, adminToken };
}
