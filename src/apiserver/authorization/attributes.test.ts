import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitRequestURL } from '../request.js';
import { requestAttributes } from './attributes.js';

/** "verb group/resource/subresource ns/name", or "verb path" for a non-resource request. */
function describe(method: string, url: string): string {
  const { path, query } = splitRequestURL(url);
  const a = requestAttributes(method, path, query);
  if (!a.resourceRequest) return `${a.verb} ${a.path}`;
  return `${a.verb} ${a.apiGroup}/${a.resource}/${a.subresource} ${a.namespace}/${a.name} (${a.apiVersion})`;
}

test("request attributes as kube's RequestInfoFactory derives them", () => {
  const cases: [string, string, string][] = [
    ['GET', '/api/v1/namespaces/team/pods', 'list /pods/ team/ (v1)'],
    ['GET', '/api/v1/namespaces/team/pods?watch=true&resourceVersion=5', 'watch /pods/ team/ (v1)'],
    ['GET', '/api/v1/namespaces/team/pods?watch=0', 'list /pods/ team/ (v1)'],
    ['GET', '/api/v1/namespaces/team/pods?watch=False', 'list /pods/ team/ (v1)'],
    ['GET', '/api/v1/namespaces/team/pods?watch=', 'watch /pods/ team/ (v1)'],
    ['GET', '/api/v1/namespaces/team/pods/web', 'get /pods/ team/web (v1)'],
    ['HEAD', '/api/v1/namespaces/team/pods/web', 'get /pods/ team/web (v1)'],
    ['GET', '/api/v1/namespaces/team/pods/web/log', 'get /pods/log team/web (v1)'],
    ['POST', '/api/v1/namespaces/team/pods', 'create /pods/ team/ (v1)'],
    ['POST', '/api/v1/namespaces/team/pods/web/eviction', 'create /pods/eviction team/web (v1)'],
    ['POST', '/api/v1/namespaces/team/serviceaccounts/bot/token', 'create /serviceaccounts/token team/bot (v1)'],
    ['PUT', '/api/v1/namespaces/team/pods/web/status', 'update /pods/status team/web (v1)'],
    ['PATCH', '/apis/apps/v1/namespaces/team/deployments/web/scale', 'patch apps/deployments/scale team/web (v1)'],
    ['DELETE', '/api/v1/namespaces/team/pods/web', 'delete /pods/ team/web (v1)'],
    ['DELETE', '/api/v1/namespaces/team/pods', 'deletecollection /pods/ team/ (v1)'],
    ['GET', '/api/v1/pods', 'list /pods/ / (v1)'],
    ['GET', '/api/v1/nodes/n1', 'get /nodes/ /n1 (v1)'],
    ['GET', '/api/v1/nodes/n1/status', 'get /nodes/status /n1 (v1)'],
    // A namespace is itself in its namespace; its own subresources too.
    ['GET', '/api/v1/namespaces', 'list /namespaces/ / (v1)'],
    ['GET', '/api/v1/namespaces/team', 'get /namespaces/ team/team (v1)'],
    ['PUT', '/api/v1/namespaces/team/finalize', 'update /namespaces/finalize team/team (v1)'],
    ['GET', '/api/v1/namespaces/team/status', 'get /namespaces/status team/team (v1)'],
    ['DELETE', '/api/v1/namespaces/team', 'delete /namespaces/ team/team (v1)'],
    // A list of one object by field selector is authorized as that object.
    ['GET', '/api/v1/namespaces/team/pods?fieldSelector=metadata.name%3Dweb&watch=1', 'watch /pods/ team/web (v1)'],
    ['GET', '/api/v1/namespaces/team/pods?fieldSelector=metadata.name%3D%3Dweb', 'list /pods/ team/web (v1)'],
    ['GET', '/api/v1/namespaces/team/pods?fieldSelector=metadata.name%21%3Dweb', 'list /pods/ team/ (v1)'],
    ['GET', '/api/v1/namespaces/team/pods?fieldSelector=spec.nodeName%3Dn1', 'list /pods/ team/ (v1)'],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:basic-user', 'get rbac.authorization.k8s.io/clusterroles/ /system:basic-user (v1)'],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Abasic-user', 'get rbac.authorization.k8s.io/clusterroles/ /system:basic-user (v1)'],
    ['POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'create authorization.k8s.io/selfsubjectaccessreviews/ / (v1)'],
    // Old-style verbs in the path.
    ['GET', '/api/v1/watch/namespaces/team/pods', 'watch /pods/ team/ (v1)'],
    ['GET', '/api/v1/proxy/namespaces/team/pods/web/some/path', 'proxy /pods/ team/web (v1)'],
    // Not resources: discovery, version, OpenAPI, anything else.
    ['GET', '/api', 'get /api'],
    ['GET', '/api/v1', 'get /api/v1'],
    ['GET', '/apis', 'get /apis'],
    ['GET', '/apis/apps', 'get /apis/apps'],
    ['GET', '/apis/apps/v1', 'get /apis/apps/v1'],
    ['GET', '/version', 'get /version'],
    ['GET', '/openapi/v3/apis/apps/v1?hash=X', 'get /openapi/v3/apis/apps/v1'],
    ['POST', '/healthz', 'post /healthz'],
    ['DELETE', '/metrics', 'delete /metrics'],
    ['GET', '/', 'get /'],
    ['GET', '/api/v1/%zz', 'get /api/v1/%zz'],
  ];
  for (const [method, url, want] of cases) assert.equal(describe(method, url), want, `${method} ${url}`);
});
