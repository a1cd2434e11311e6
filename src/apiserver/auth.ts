/**
 * Bearer-token authentication. The admin token is generated on first start and kept in
 * DIR/tokens; every request but the health endpoints must present one of the known tokens.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';

export interface User {
  name: string;
  groups: string[];
}

export class TokenAuthenticator {
  /**
   * By token. A hash lookup, as kube-apiserver's token file authenticator does: the tokens are
   * 192 random bits, so what a lookup's timing could tell about them is worth nothing, and
   * every request pays for this.
   */
  private readonly tokens = new Map<string, User>();

  add(token: string, user: User): void {
    this.tokens.set(token, user);
  }

  /** The user the request's bearer token belongs to, or undefined. */
  authenticate(req: IncomingMessage): User | undefined {
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Bearer ')) return undefined;
    return this.tokens.get(h.slice(7).trim());
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
