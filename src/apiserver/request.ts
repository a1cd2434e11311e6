/**
 * Turning a URL into what it names: a group-version, a resource, a namespace, a name and a
 * subresource, the way kube-apiserver's RequestInfo resolver reads paths.
 */
import { badRequest } from '../api/errors.js';

export interface ResourcePath {
  group: string;
  version: string;
  /** Plural resource name from the URL. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type ParsedPath =
  | { type: 'resource'; path: ResourcePath }
  | { type: 'groupVersion'; group: string; version: string }
  | { type: 'group'; group: string }
  | { type: 'other' };

const namespaceSubresources = new Set(['status', 'finalize']);

/**
 * What a request path names. The path is percent-decoded as a whole and then split on '/', as
 * Go's server and kube-apiserver's RequestInfo resolver do (so an encoded slash separates
 * segments, never hides inside a name); "." and ".." segments are refused rather than resolved,
 * so .../pods/.. never names the namespace above it. Malformed escapes are a 400.
 */
export function parsePath(rawPath: string): ParsedPath {
  let pathname = rawPath;
  if (pathname.includes('%')) {
    try {
      pathname = decodeURIComponent(pathname);
    } catch {
      throw badRequest(`the request path ${JSON.stringify(rawPath)} has a malformed percent-encoding`);
    }
  }
  const segs = pathname.split('/').filter((s) => s !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length < 2) return { type: 'other' };
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length < 2) return { type: 'other' };
    if (segs.length === 2) return { type: 'group', group: segs[1] };
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else {
    return { type: 'other' };
  }
  for (const s of segs) {
    if (s === '.' || s === '..') throw badRequest(`invalid path segment ${JSON.stringify(s)} in ${JSON.stringify(rawPath)}: may not be '${s}'`);
  }
  if (rest.length === 0) return { type: 'groupVersion', group, version };
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && namespaceSubresources.has(rest[2]))) {
    const [, namespace, resource, name, subresource, ...extra] = rest;
    if (extra.length) return { type: 'other' };
    return { type: 'resource', path: { group, version, resource, namespace, name, subresource } };
  }
  const [resource, name, subresource, ...extra] = rest;
  if (extra.length) return { type: 'other' };
  return { type: 'resource', path: { group, version, resource, name, subresource } };
}

const noQuery = new URLSearchParams();

/**
 * Path (still percent-encoded, exactly as sent) and query of a request target. Nothing is
 * normalised: resolving dot segments or backslashes here would let a path that names one
 * object reach another (see parsePath). An absolute-form target keeps only its path.
 */
export function splitRequestURL(target: string): { path: string; query: URLSearchParams } {
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  let path = q < 0 ? target : target.slice(0, q);
  if (!path.startsWith('/')) {
    const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(path);
    if (authority) path = path.slice(authority[0].length) || '/';
  }
  return { path, query: q < 0 ? noQuery : new URLSearchParams(target.slice(q + 1)) };
}

/**
 * A subresource's or review's body: its apiVersion and kind, when given, must be the ones the subresource takes
 * (the first of `apiVersions` is the one named in the error), as kube's decoder checks them.
 */
export function checkTypeMeta(obj: Record<string, unknown>, apiVersions: readonly string[], kind: string): void {
  if (obj.apiVersion !== undefined && !apiVersions.includes(obj.apiVersion as string)) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersions[0]})`);
  }
  if (obj.kind !== undefined && obj.kind !== kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${kind})`);
  }
}
