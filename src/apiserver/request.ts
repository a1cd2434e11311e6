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

export function parsePath(pathname: string): ParsedPath {
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
  for (const s of rest) {
    if (s === '.' || s === '..') throw badRequest(`invalid path segment ${JSON.stringify(s)}`);
  }
  rest = rest.map((s) => decodeURIComponent(s));
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
 * Path and query of a request target. A plain API path is taken as it is; anything a URL
 * parser would rewrite (percent escapes, dot segments, backslashes) goes through one.
 */
export function splitRequestURL(target: string): { path: string; query: URLSearchParams } {
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  if (rawPath.startsWith('/') && !/[%\\]|\/\.|\/\/|#/.test(rawPath) && !target.includes('#')) {
    return { path: rawPath, query: q < 0 ? noQuery : new URLSearchParams(target.slice(q + 1)) };
  }
  const url = new URL(target, 'http://localhost');
  return { path: url.pathname, query: url.searchParams };
}
