/**
 * serviceaccounts/token: a TokenRequest (authentication.k8s.io/v1) for a service account is
 * answered with a signed token for it (`kubectl create token NAME`), optionally bound to a Pod,
 * Secret or Node so that it stops working when that object goes. Also checks the claims of
 * tokens it issued against the cluster when they come back as bearer tokens.
 */
import { ApiError, badRequest, conflict, invalidQualified, type FieldError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { isPlainObject } from '../api/object.js';
import type { ResourceType } from '../api/resource.js';
import { invalidValue, notSupported } from '../api/validation.js';
import { rfc3339 } from '../util/clock.js';
import type { ObjectRegistry } from './registry.js';
import type { BoundObject, ServiceAccountClaims, ServiceAccountTokens } from './serviceaccount-tokens.js';

export const TOKEN_REQUEST_API_VERSION = 'authentication.k8s.io/v1';

/** Kubernetes' bounds on a requested token lifetime: at least 10 minutes, at most 2^32 seconds. */
const minExpirationSeconds = 600;
const maxExpirationSeconds = 2 ** 32;
const defaultExpirationSeconds = 3600;

const boundKinds: Record<BoundObject['kind'], { plural: string; namespaced: boolean }> = {
  Pod: { plural: 'pods', namespaced: true },
  Secret: { plural: 'secrets', namespaced: true },
  Node: { plural: 'nodes', namespaced: false },
};

export interface TokenRequestDeps {
  registry: ObjectRegistry;
  tokens: ServiceAccountTokens;
  /** The served core/v1 type of a plural ("serviceaccounts", "pods", ...). */
  coreType: (plural: string) => ResourceType;
  now: () => number;
}

/** Answers a TokenRequest for the service account ns/name: the request with its status filled in. */
export async function issueToken(deps: TokenRequestDeps, request: KubeObject, ns: string, name: string): Promise<KubeObject> {
  const spec: Record<string, unknown> = isPlainObject(request.spec) ? request.spec : {};
  const errs: FieldError[] = [];
  const expirationSeconds = spec.expirationSeconds ?? defaultExpirationSeconds;
  if (typeof expirationSeconds !== 'number' || !Number.isInteger(expirationSeconds)) {
    errs.push(invalidValue('spec.expirationSeconds', expirationSeconds, 'must be a whole number of seconds'));
  } else if (expirationSeconds < minExpirationSeconds) {
    errs.push(invalidValue('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'));
  } else if (expirationSeconds > maxExpirationSeconds) {
    errs.push(invalidValue('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
  }
  const ref = isPlainObject(spec.boundObjectRef) ? spec.boundObjectRef : undefined;
  if (ref && !(String(ref.kind) in boundKinds)) errs.push(notSupported('spec.boundObjectRef.kind', ref.kind, Object.keys(boundKinds)));
  if (errs.length) throw invalidQualified('TokenRequest', 'authentication.k8s.io', name, errs);

  const sa = await deps.registry.get(deps.coreType('serviceaccounts'), ns, name);
  let bound: BoundObject | undefined;
  if (ref) {
    const kind = ref.kind as BoundObject['kind'];
    const target = await deps.registry.get(deps.coreType(boundKinds[kind].plural), boundKinds[kind].namespaced ? ns : undefined, String(ref.name ?? ''));
    if (ref.uid && ref.uid !== target.metadata.uid) {
      throw conflict(boundKinds[kind].plural, target.metadata.name!, `the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record; the object might have been deleted and then recreated`);
    }
    if (kind === 'Pod' && (target.spec?.serviceAccountName ?? 'default') !== name) {
      throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
    }
    bound = { kind, name: target.metadata.name!, uid: target.metadata.uid! };
  }

  const audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : [...deps.tokens.apiAudiences];
  const now = deps.now();
  const { token, expiresAt } = deps.tokens.issue({ namespace: ns, name, uid: sa.metadata.uid!, audiences, expirationSeconds: expirationSeconds as number, bound, now });
  const outSpec: Record<string, unknown> = { audiences, expirationSeconds };
  if (bound) outSpec.boundObjectRef = { kind: bound.kind, apiVersion: 'v1', name: bound.name, uid: bound.uid };
  return {
    kind: 'TokenRequest',
    apiVersion: TOKEN_REQUEST_API_VERSION,
    metadata: { name, namespace: ns, creationTimestamp: rfc3339(now) },
    spec: outSpec,
    status: { token, expirationTimestamp: rfc3339(expiresAt * 1000) },
  };
}

/**
 * Whether a verified token's subjects are still there: the service account, and the object it
 * is bound to, each with the uid the token names. A token outlives neither.
 */
export async function serviceAccountStillExists(deps: Pick<TokenRequestDeps, 'registry' | 'coreType'>, claims: ServiceAccountClaims): Promise<boolean> {
  const uidOf = async (plural: string, ns: string | undefined, name: string) => {
    try {
      return (await deps.registry.get(deps.coreType(plural), ns, name)).metadata.uid;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  };
  if ((await uidOf('serviceaccounts', claims.namespace, claims.name)) !== claims.uid) return false;
  if (!claims.bound) return true;
  const kind = boundKinds[claims.bound.kind];
  return (await uidOf(kind.plural, kind.namespaced ? claims.namespace : undefined, claims.bound.name)) === claims.bound.uid;
}
