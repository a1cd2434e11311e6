/**
 * Service account tokens: the JWTs the serviceaccounts/token subresource (TokenRequest) issues
 * and the API server accepts as bearer tokens, as kube-apiserver's service account token
 * issuer and authenticator do. They are signed with an ECDSA P-256 key (ES256) made on first
 * start in DIR/sa.key; a token names its service account (and the object it is bound to, if
 * any) by name and uid, so it stops working once they are deleted, even before it expires.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** kube-apiserver's --service-account-issuer as kubeadm sets it; also the default audience. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** An object a token is bound to: it is valid only while that object exists with this uid. */
export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

/** What a verified token says. */
export interface ServiceAccountClaims {
  namespace: string;
  name: string;
  uid: string;
  audiences: string[];
  /** Unix seconds. */
  expiresAt: number;
  bound?: BoundObject;
  /** The token's id (jti). */
  id: string;
}

export interface IssueRequest {
  namespace: string;
  name: string;
  uid: string;
  audiences: string[];
  expirationSeconds: number;
  bound?: BoundObject;
  /** ms since the epoch. */
  now: number;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class ServiceAccountTokens {
  private readonly publicKey: KeyObject;
  private readonly keyId: string;

  constructor(
    private readonly privateKey: KeyObject,
    readonly issuer = DEFAULT_ISSUER,
    /** What a token must be meant for to be accepted here (kube-apiserver's --api-audiences). */
    readonly apiAudiences: readonly string[] = [issuer],
  ) {
    this.publicKey = createPublicKey(privateKey);
    // As kube-apiserver names its keys: a hash of the public key's DER.
    this.keyId = b64url(createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest());
  }

  /** The signer whose key is DIR/sa.key, made (mode 0600) if the file is not there. */
  static loadOrCreate(dataDir: string, issuer = DEFAULT_ISSUER): ServiceAccountTokens {
    const path = join(dataDir, 'sa.key');
    if (!existsSync(path)) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
    return new ServiceAccountTokens(createPrivateKey(readFileSync(path)), issuer);
  }

  /** A signed token and when it expires (unix seconds). */
  issue(req: IssueRequest): { token: string; expiresAt: number } {
    const iat = Math.floor(req.now / 1000);
    const expiresAt = iat + req.expirationSeconds;
    const k8s: Record<string, unknown> = { namespace: req.namespace, serviceaccount: { name: req.name, uid: req.uid } };
    if (req.bound) k8s[req.bound.kind.toLowerCase()] = { name: req.bound.name, uid: req.bound.uid };
    const claims = {
      aud: req.audiences,
      exp: expiresAt,
      iat,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': k8s,
      nbf: iat,
      sub: `system:serviceaccount:${req.namespace}:${req.name}`,
    };
    const signingInput = `${b64url(JSON.stringify({ alg: 'ES256', kid: this.keyId }))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return { token: `${signingInput}.${b64url(signature)}`, expiresAt };
  }

  /**
   * The claims of a token this signer issued that is valid at `now` (ms) and meant for one of
   * `audiences` (this API server's by default); undefined for anything else (another signer, tampered, expired, not yet valid,
   * another audience, not a JWT at all). Whether the service account still exists is the
   * caller's to check.
   */
  verify(token: string, now: number, audiences: readonly string[] = this.apiAudiences): ServiceAccountClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      if (header?.alg !== 'ES256') return undefined;
      const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2]!, 'base64url'));
      if (!ok) return undefined;
      const c = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
      const sec = Math.floor(now / 1000);
      if (c.iss !== this.issuer || typeof c.exp !== 'number' || sec >= c.exp || (typeof c.nbf === 'number' && sec < c.nbf)) return undefined;
      const tokenAudiences: string[] = Array.isArray(c.aud) ? c.aud : typeof c.aud === 'string' ? [c.aud] : [];
      if (!tokenAudiences.some((a) => audiences.includes(a))) return undefined;
      const k8s = c['kubernetes.io'];
      const sa = k8s?.serviceaccount;
      if (typeof k8s?.namespace !== 'string' || typeof sa?.name !== 'string' || typeof sa?.uid !== 'string') return undefined;
      let bound: BoundObject | undefined;
      for (const kind of ['Pod', 'Secret', 'Node'] as const) {
        const ref = k8s[kind.toLowerCase()];
        if (ref && typeof ref.name === 'string' && typeof ref.uid === 'string') bound ??= { kind, name: ref.name, uid: ref.uid };
      }
      return { namespace: k8s.namespace, name: sa.name, uid: sa.uid, audiences: tokenAudiences, expiresAt: c.exp, bound, id: String(c.jti ?? '') };
    } catch {
      // Not base64url JSON: not one of ours.
      return undefined;
    }
  }
}

/** The user a service account authenticates as, with the groups Kubernetes gives it. */
export function serviceAccountUser(namespace: string, name: string): { name: string; groups: string[] } {
  return {
    name: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}
