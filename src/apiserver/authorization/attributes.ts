/**
 * What a request asks to do, derived from its method, path and query as kube-apiserver's
 * RequestInfoFactory derives it: under /api and /apis/<group> a resource request (verb from
 * the method: get, list, watch, create, update, patch, delete, deletecollection; API group,
 * resource, subresource, namespace, name), anything else a non-resource request for its path
 * with the lowercased method as verb.
 */
import { nonResourceAttributes, resourceAttributes, type RequestAttributes } from '../../api/rbac/policy-rule.js';

/** Subresources of a namespace: /api/v1/namespaces/NS/status names the namespace, not a resource in it. */
const namespaceSubresources = new Set(['status', 'finalize']);
/** Old-style verbs given as the first path segment after the version: /api/v1/watch/pods. */
const specialVerbs = new Set(['proxy', 'watch']);

const methodVerbs: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * The attributes of a request for `path` (as sent, percent-encoded or not) with `method` and
 * query `query`. Never throws: a path the server will refuse later still gets attributes.
 */
export function requestAttributes(method: string, path: string, query: URLSearchParams): RequestAttributes {
  let decoded = path;
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return nonResourceAttributes(method.toLowerCase(), path);
    }
  }
  // The path as Go's URL.Path has it: decoded.
  const nonResource = nonResourceAttributes(method.toLowerCase(), decoded);
  let parts = decoded.split('/').filter((s) => s !== '');
  // /api/<version>/<resource>... or /apis/<group>/<version>/<resource>...; /api/v1 and
  // /apis/apps/v1 (discovery) are paths.
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource;
  const grouped = parts[0] === 'apis';
  parts = parts.slice(1);
  let apiGroup = '';
  if (grouped) {
    if (parts.length < 3) return nonResource;
    apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  const apiVersion = parts[0]!;
  parts = parts.slice(1);
  let verb: string;
  let viaMethod = false;
  if (specialVerbs.has(parts[0]!)) {
    if (parts.length < 2) return nonResource;
    verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    viaMethod = true;
    verb = methodVerbs[method] ?? '';
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    // A resource inside the namespace, unless the next part is one of the namespace's own subresources.
    if (parts.length > 2 && !namespaceSubresources.has(parts[2]!)) parts = parts.slice(2);
  }
  const resource = parts[0] ?? '';
  let name = parts[1] ?? '';
  const subresource = parts.length >= 3 && verb !== 'proxy' ? parts[2]! : '';
  if (viaMethod && verb === 'get' && !name) {
    verb = isWatch(query) ? 'watch' : 'list';
    // A list of one object by name (`kubectl get pod x -w`) is authorized as that object.
    const only = exactName(query.get('fieldSelector'));
    if (only && only !== '.' && only !== '..' && !only.includes('/') && !only.includes('%')) name = only;
  }
  if (viaMethod && verb === 'delete' && !name) verb = 'deletecollection';
  return resourceAttributes({ verb, apiGroup, apiVersion, resource, subresource, namespace, name });
}

/** watch=… as kube's parameter codec reads it: anything but "false" and "0" (any case) is true. */
function isWatch(query: URLSearchParams): boolean {
  const v = query.get('watch');
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}

/** The name a field selector pins (`metadata.name=x`, `metadata.name==x`), if that is all it says of the name. */
function exactName(selector: string | null): string | undefined {
  if (!selector) return undefined;
  let found: string | undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*(==|=)\s*(.*?)\s*$/.exec(term);
    if (m) {
      if (found !== undefined && found !== m[2]) return undefined;
      found = m[2];
    } else if (/^\s*metadata\.name\s*!=/.test(term)) {
      return undefined;
    }
  }
  return found;
}
