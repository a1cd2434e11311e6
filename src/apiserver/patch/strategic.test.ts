import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { strategicMergePatch } from './strategic.js';

const deployment = { group: 'apps', kind: 'Deployment' };
const pod = { group: '', kind: 'Pod' };
const node = { group: '', kind: 'Node' };
const service = { group: '', kind: 'Service' };

const podSpec = (spec: object) => ({ spec: { template: { spec } } });

interface Case {
  name: string;
  kind?: { group: string; kind: string };
  original: unknown;
  patch: unknown;
  want: unknown;
}

const cases: Case[] = [
  {
    name: 'kubectl apply: last-applied annotation, $setElementOrder, env merge by name, $patch delete, new container',
    kind: deployment,
    original: {
      metadata: { name: 'web', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}', other: 'x' } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx:1.0',
                env: [
                  { name: 'A', value: '1' },
                  { name: 'B', value: '1' },
                ],
                ports: [{ containerPort: 80, protocol: 'TCP' }],
              },
            ],
          },
        },
      },
    },
    patch: {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }],
                env: [
                  { name: 'A', value: '2' },
                  { name: 'C', value: '3' },
                  { $patch: 'delete', name: 'B' },
                ],
                image: 'nginx:2.0',
                name: 'nginx',
              },
              { image: 'busybox', name: 'sidecar' },
            ],
          },
        },
      },
    },
    want: {
      metadata: { name: 'web', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}', other: 'x' } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx:2.0',
                env: [
                  { name: 'A', value: '2' },
                  { name: 'C', value: '3' },
                ],
                ports: [{ containerPort: 80, protocol: 'TCP' }],
              },
              { name: 'sidecar', image: 'busybox' },
            ],
          },
        },
      },
    },
  },
  {
    name: 'kubectl apply: deleting a container with $patch: delete and $setElementOrder',
    kind: deployment,
    original: podSpec({ containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] }),
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'b' }], containers: [{ $patch: 'delete', name: 'a' }] }),
    want: podSpec({ containers: [{ name: 'b', image: 'b' }] }),
  },
  {
    name: '$setElementOrder alone reorders',
    kind: deployment,
    original: podSpec({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }),
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }] }),
    want: podSpec({ containers: [{ name: 'c' }, { name: 'a' }, { name: 'b' }] }),
  },
  {
    name: 'env merges by name and keeps server order for untouched items',
    kind: pod,
    original: { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '1' }] }] } },
    patch: { spec: { containers: [{ name: 'c', env: [{ name: 'B', value: '2' }] }] } },
    want: { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] } },
  },
  {
    name: 'a bare patch puts new list items first, as Kubernetes does',
    kind: pod,
    original: { spec: { containers: [{ name: 'c', env: [{ name: 'A' }, { name: 'B' }] }] } },
    patch: { spec: { containers: [{ name: 'c', env: [{ name: 'C', value: 'x' }] }] } },
    want: { spec: { containers: [{ name: 'c', env: [{ name: 'C', value: 'x' }, { name: 'A' }, { name: 'B' }] }] } },
  },
  {
    name: 'null in a list item deletes that field of the matching item',
    kind: pod,
    original: { spec: { containers: [{ name: 'c', image: 'x', command: ['sh'] }] } },
    patch: { spec: { containers: [{ name: 'c', command: null }] } },
    want: { spec: { containers: [{ name: 'c', image: 'x' }] } },
  },
  {
    name: 'container ports merge by containerPort',
    kind: pod,
    original: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] } },
    patch: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'web' }] }] } },
    want: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 443 }] }] } },
  },
  {
    name: 'volumeMounts merge by mountPath',
    kind: pod,
    original: { spec: { containers: [{ name: 'c', volumeMounts: [{ mountPath: '/a', name: 'x' }] }] } },
    patch: { spec: { containers: [{ name: 'c', volumeMounts: [{ mountPath: '/b', name: 'y' }] }] } },
    want: { spec: { containers: [{ name: 'c', volumeMounts: [{ mountPath: '/b', name: 'y' }, { mountPath: '/a', name: 'x' }] }] } },
  },
  {
    name: 'envFrom is atomic',
    kind: pod,
    original: { spec: { containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'a' } }] }] } },
    patch: { spec: { containers: [{ name: 'c', envFrom: [{ secretRef: { name: 'b' } }] }] } },
    want: { spec: { containers: [{ name: 'c', envFrom: [{ secretRef: { name: 'b' } }] }] } },
  },
  {
    name: 'tolerations are atomic',
    kind: pod,
    original: { spec: { tolerations: [{ key: 'a', operator: 'Exists' }] } },
    patch: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
    want: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
  },
  {
    name: 'imagePullSecrets merge by name, hostAliases by ip',
    kind: pod,
    original: { spec: { imagePullSecrets: [{ name: 'a' }], hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }] } },
    patch: { spec: { imagePullSecrets: [{ name: 'b' }], hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }] } },
    want: { spec: { imagePullSecrets: [{ name: 'b' }, { name: 'a' }], hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }] } },
  },
  {
    name: 'initContainers and ephemeralContainers merge by name',
    kind: pod,
    original: { spec: { initContainers: [{ name: 'i', image: '1' }], ephemeralContainers: [{ name: 'e', image: '1' }] } },
    patch: { spec: { initContainers: [{ name: 'i', image: '2' }], ephemeralContainers: [{ name: 'e', image: '2' }] } },
    want: { spec: { initContainers: [{ name: 'i', image: '2' }], ephemeralContainers: [{ name: 'e', image: '2' }] } },
  },
  {
    name: 'pod status conditions merge by type',
    kind: pod,
    original: { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] } },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    want: { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] } },
  },
  {
    name: 'volumes: $retainKeys switches the volume source',
    kind: pod,
    original: { spec: { volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }] } },
    patch: { spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } },
    want: { spec: { volumes: [{ name: 'v', configMap: { name: 'cm' } }, { name: 'w', emptyDir: {} }] } },
  },
  {
    name: 'deployment strategy: $retainKeys drops rollingUpdate',
    kind: deployment,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: 'finalizers merge as a set',
    kind: pod,
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['b', 'c'] } },
    want: { metadata: { finalizers: ['a', 'b', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList removes set members',
    kind: pod,
    original: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { finalizers: ['a', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList with $setElementOrder, as kubectl sends it',
    kind: pod,
    original: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { finalizers: ['c', 'a'] } },
  },
  {
    name: 'ownerReferences merge by uid',
    kind: pod,
    original: { metadata: { ownerReferences: [{ uid: '1', name: 'a', controller: true }] } },
    patch: { metadata: { ownerReferences: [{ uid: '1', controller: false }, { uid: '2', name: 'b' }] } },
    want: { metadata: { ownerReferences: [{ uid: '1', name: 'a', controller: false }, { uid: '2', name: 'b' }] } },
  },
  {
    name: '$patch: replace in a list replaces the whole list',
    kind: pod,
    original: { spec: { containers: [{ name: 'a', image: 'a' }, { name: 'b' }] } },
    patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'x', image: 'x' }] } },
    want: { spec: { containers: [{ name: 'x', image: 'x' }] } },
  },
  {
    name: '$patch: replace in a map replaces the map',
    kind: pod,
    original: { metadata: { labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { $patch: 'replace', c: '3' } } },
    want: { metadata: { labels: { c: '3' } } },
  },
  {
    name: '$patch: delete in a map deletes it',
    kind: pod,
    original: { spec: { securityContext: { runAsUser: 1 }, nodeName: 'n' } },
    patch: { spec: { securityContext: { $patch: 'delete' } } },
    want: { spec: { nodeName: 'n' } },
  },
  {
    name: '$patch: merge is the default',
    kind: pod,
    original: { metadata: { labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'merge', b: '2' } } },
    want: { metadata: { labels: { a: '1', b: '2' } } },
  },
  {
    name: '$patch: delete of an item that is not there is a no-op',
    kind: pod,
    original: { spec: { containers: [{ name: 'a' }] } },
    patch: { spec: { containers: [{ $patch: 'delete', name: 'zzz' }] } },
    want: { spec: { containers: [{ name: 'a' }] } },
  },
  {
    name: 'null deletes a key; nested nulls in new values are dropped',
    kind: pod,
    original: { metadata: { labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { a: null }, annotations: { x: '1', y: null } } },
    want: { metadata: { labels: { b: '2' }, annotations: { x: '1' } } },
  },
  {
    name: 'directives in a brand-new subtree are interpreted, not stored',
    kind: deployment,
    original: { spec: {} },
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', '$setElementOrder/env': [{ name: 'X' }], env: [{ name: 'X', value: '1' }] }] }),
    want: podSpec({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] }),
  },
  {
    name: 'node taints are atomic, podCIDRs a set',
    kind: node,
    original: { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }], podCIDRs: ['10.0.0.0/24'] } },
    patch: { spec: { taints: [{ key: 'b', effect: 'NoExecute' }], podCIDRs: ['10.0.0.0/24', 'fd00::/64'] } },
    want: { spec: { taints: [{ key: 'b', effect: 'NoExecute' }], podCIDRs: ['10.0.0.0/24', 'fd00::/64'] } },
  },
  {
    name: 'node status conditions and addresses merge by type',
    kind: node,
    original: { status: { conditions: [{ type: 'Ready', status: 'False' }], addresses: [{ type: 'InternalIP', address: '1' }] } },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'Hostname', address: 'h' }] } },
    want: { status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'Hostname', address: 'h' }, { type: 'InternalIP', address: '1' }] } },
  },
  {
    name: 'service ports merge by port; externalIPs atomic',
    kind: service,
    original: { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }], externalIPs: ['1.1.1.1'] } },
    patch: { spec: { ports: [{ port: 80, targetPort: 9090 }], externalIPs: ['2.2.2.2'] } },
    want: { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }], externalIPs: ['2.2.2.2'] } },
  },
  {
    name: 'endpoints subsets are atomic',
    kind: { group: '', kind: 'Endpoints' },
    original: { subsets: [{ addresses: [{ ip: '1' }] }] },
    patch: { subsets: [{ addresses: [{ ip: '2' }] }] },
    want: { subsets: [{ addresses: [{ ip: '2' }] }] },
  },
  {
    name: 'deployment status conditions merge by type',
    kind: deployment,
    original: { status: { conditions: [{ type: 'Available', status: 'False' }, { type: 'Progressing', status: 'True' }] } },
    patch: { status: { conditions: [{ type: 'Available', status: 'True' }] } },
    want: { status: { conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True' }] } },
  },
  {
    name: 'a PodDisruptionBudget selector is replaced whole (patchStrategy replace); its conditions merge by type',
    kind: { group: 'policy', kind: 'PodDisruptionBudget' },
    original: {
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web', tier: 'front' } } },
      status: { conditions: [{ type: 'DisruptionAllowed', status: 'True' }, { type: 'Other', status: 'True' }] },
    },
    patch: { spec: { selector: { matchLabels: { app: 'api' } } }, status: { conditions: [{ type: 'DisruptionAllowed', status: 'False' }] } },
    want: {
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'api' } } },
      status: { conditions: [{ type: 'DisruptionAllowed', status: 'False' }, { type: 'Other', status: 'True' }] },
    },
  },
  {
    name: 'replication controller template containers merge by name',
    kind: { group: '', kind: 'ReplicationController' },
    original: podSpec({ containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] }),
    patch: podSpec({ containers: [{ name: 'b', image: '2' }] }),
    want: podSpec({ containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }] }),
  },
  {
    name: 'unknown kinds: maps merge, lists are replaced',
    kind: { group: 'example.com', kind: 'Widget' },
    original: { metadata: { labels: { a: '1' } }, spec: { items: [{ name: 'a' }], size: 1 } },
    patch: { metadata: { labels: { b: '2' } }, spec: { items: [{ name: 'b' }] } },
    want: { metadata: { labels: { a: '1', b: '2' } }, spec: { items: [{ name: 'b' }], size: 1 } },
  },
  {
    name: 'a value of a different type replaces',
    kind: pod,
    original: { spec: { x: { a: 1 } } },
    patch: { spec: { x: [1] } },
    want: { spec: { x: [1] } },
  },
];

for (const c of cases) {
  test(`strategic merge patch: ${c.name}`, () => {
    const original = structuredClone(c.original);
    const patch = structuredClone(c.patch);
    assert.deepEqual(strategicMergePatch(c.original, c.patch, c.kind ?? pod), c.want);
    assert.deepEqual(c.original, original, 'original must not be modified');
    assert.deepEqual(c.patch, patch, 'patch must not be modified');
  });
}

const errors: { name: string; original?: unknown; patch: unknown; kind?: { group: string; kind: string }; code: number; message: RegExp }[] = [
  { name: 'patch is not an object', patch: [1], code: 400, message: /must be a JSON object/ },
  { name: 'unknown $patch in a map', patch: { metadata: { $patch: 'explode' } }, code: 400, message: /unknown \$patch directive "explode" at \.metadata/ },
  { name: 'unknown $patch in a list item', original: { spec: { containers: [] } }, patch: { spec: { containers: [{ name: 'a', $patch: 'explode' }] } }, code: 400, message: /unknown \$patch directive/ },
  { name: '$patch: merge in a list item', patch: { spec: { containers: [{ name: 'a', $patch: 'merge' }] } }, code: 400, message: /merging lists cannot yet be specified/ },
  { name: 'list item without its merge key', original: { spec: { containers: [{ name: 'a' }] } }, patch: { spec: { containers: [{ image: 'x' }] } }, code: 400, message: /does not contain declared merge key "name"/ },
  { name: '$patch: delete without the merge key', original: { spec: { containers: [{ name: 'a' }] } }, patch: { spec: { containers: [{ $patch: 'delete' }] } }, code: 400, message: /merge key "name"/ },
  { name: '$retainKeys is not a list', patch: { spec: { strategy: { $retainKeys: 'type' } } }, kind: deployment, code: 400, message: /invalid patch format of retainKeys/ },
  { name: 'patch fields outside $retainKeys', patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, kind: deployment, code: 422, message: /doesn't match retainKeys list.*"rollingUpdate"/ },
  { name: '$setElementOrder is not a list', patch: { spec: { '$setElementOrder/containers': 'a' } }, code: 400, message: /invalid patch format of setElementOrder list/ },
  { name: '$setElementOrder item without merge key', original: { spec: { containers: [{ name: 'a' }] } }, patch: { spec: { '$setElementOrder/containers': [{ image: 'x' }] } }, code: 400, message: /merge key "name"/ },
  { name: '$deleteFromPrimitiveList is not a list', patch: { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }, code: 400, message: /invalid patch format of primitive list/ },
];

for (const c of errors) {
  test(`strategic merge patch fails: ${c.name}`, () => {
    assert.throws(
      () => strategicMergePatch(c.original ?? {}, c.patch, c.kind ?? pod),
      (err: unknown) => {
        assert.ok(err instanceof ApiError, String(err));
        assert.equal(err.code, c.code);
        assert.match(err.message, c.message);
        return true;
      },
    );
  });
}
