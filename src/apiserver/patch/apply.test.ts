import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { LAST_APPLIED_ANNOTATION, serverSideApply, updateManagedFields } from './apply.js';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:01:00Z';
const T2 = '2024-01-01T00:02:00Z';

function deployment(over: { replicas?: number; image?: string; labels?: Record<string, string>; containers?: object[] } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: over.labels ?? { app: 'web' } },
    spec: {
      ...(over.replicas === undefined ? {} : { replicas: over.replicas }),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: over.containers ?? [{ name: 'nginx', image: over.image ?? 'nginx:1', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

/** What the store adds on create; apply must keep it on later writes. */
function stored(obj: KubeObject): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, uid: 'u1', resourceVersion: '1', creationTimestamp: T0 } };
}

function apply(live: KubeObject | undefined, applied: KubeObject, manager = 'kubectl', force = false, now = T1): KubeObject {
  return serverSideApply({ live, applied, manager, force, apiVersion: 'apps/v1', now });
}

function managers(obj: KubeObject): string[] {
  return (obj.metadata.managedFields ?? []).map((m) => `${m.manager}/${m.operation}${m.subresource ? '/' + m.subresource : ''}`);
}

function fieldsOf(obj: KubeObject, manager: string): unknown {
  return obj.metadata.managedFields?.find((m) => m.manager === manager)?.fieldsV1;
}

function assertConflict(fn: () => unknown, message: string, fields: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, message);
    assert.deepEqual(
      err.details?.causes?.map((c) => c.field),
      fields,
    );
    assert.ok(err.details?.causes?.every((c) => c.reason === 'FieldManagerConflict'));
    return true;
  });
}

test('apply --server-side creates the object and records what the applier owns', () => {
  const out = apply(undefined, deployment({ replicas: 2 }));
  const { managedFields, ...metadata } = out.metadata;
  assert.deepEqual({ ...out, metadata }, deployment({ replicas: 2 }));
  assert.deepEqual(managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"nginx"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                },
              },
            },
          },
        },
      },
    },
  ]);
});

test('re-apply with a change updates the field and keeps server-set metadata', () => {
  const live = stored(apply(undefined, deployment({ replicas: 2 }), 'kubectl', false, T0));
  const out = apply(live, deployment({ replicas: 3, image: 'nginx:2' }));
  assert.equal(out.spec.replicas, 3);
  assert.equal(out.spec.template.spec.containers[0].image, 'nginx:2');
  assert.equal(out.metadata.uid, 'u1');
  assert.equal(out.metadata.creationTimestamp, T0);
  assert.deepEqual(managers(out), ['kubectl/Apply']);
  assert.equal(out.metadata.managedFields![0].time, T1);
});

test('re-applying the same configuration is a no-op, timestamp included', () => {
  const live = stored(apply(undefined, deployment({ replicas: 2 }), 'kubectl', false, T0));
  assert.deepEqual(apply(live, deployment({ replicas: 2 }), 'kubectl', false, T2), live);
});

test('fields the applier drops are removed: a label, a container, replicas', () => {
  const first = deployment({
    replicas: 2,
    labels: { app: 'web', tier: 'front' },
    containers: [{ name: 'nginx', image: 'nginx:1' }, { name: 'sidecar', image: 'busybox' }],
  });
  const live = stored(apply(undefined, first, 'kubectl', false, T0));
  const out = apply(live, deployment({ labels: { app: 'web' }, containers: [{ name: 'nginx', image: 'nginx:1' }] }));
  assert.deepEqual(out.metadata.labels, { app: 'web' });
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'nginx', image: 'nginx:1' }]);
  assert.equal('replicas' in out.spec, false);
});

test('a dropped field another applier also owns stays', () => {
  const live = stored(apply(undefined, deployment({ labels: { app: 'web', tier: 'front' } }), 'kubectl', false, T0));
  const shared = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { tier: 'front' } } }, 'other');
  assert.deepEqual(managers(shared), ['kubectl/Apply', 'other/Apply']);
  const out = apply(shared, deployment({ labels: { app: 'web' } }), 'kubectl', false, T2);
  assert.deepEqual(out.metadata.labels, { app: 'web', tier: 'front' });
});

test('fields set by other managers survive an apply; their list items are kept', () => {
  const live = stored(apply(undefined, deployment(), 'kubectl', false, T0));
  const edited = structuredClone(live);
  edited.spec.template.spec.containers.push({ name: 'injected', image: 'proxy' });
  edited.metadata.annotations = { note: 'hi' };
  const afterEdit = updateManagedFields({ old: live, updated: edited, manager: 'kubectl-edit', now: T1 });
  const out = apply(afterEdit, deployment({ image: 'nginx:2' }), 'kubectl', false, T2);
  assert.deepEqual(
    out.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`),
    ['nginx=nginx:2', 'injected=proxy'],
  );
  assert.deepEqual(out.metadata.annotations, { note: 'hi' });
  assert.deepEqual(managers(out), ['kubectl/Apply', 'kubectl-edit/Update']);
});

test('kubectl scale after apply --server-side, then apply without --force-conflicts: 409 naming .spec.replicas; with it: success', () => {
  const live = stored(apply(undefined, deployment({ replicas: 2 }), 'kubectl', false, T0));
  const scaled = structuredClone(live);
  scaled.spec.replicas = 5;
  const afterScale = updateManagedFields({ old: live, updated: scaled, manager: 'kubectl', subresource: 'scale', now: T1 });
  assert.deepEqual(managers(afterScale), ['kubectl/Apply', 'kubectl/Update/scale']);
  assert.deepEqual(fieldsOf(afterScale, 'kubectl') && afterScale.metadata.managedFields![1].fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  // The Update took .spec.replicas away from the applier.
  assert.equal(JSON.stringify(afterScale.metadata.managedFields![0].fieldsV1).includes('f:replicas'), false);

  assertConflict(
    () => apply(afterScale, deployment({ replicas: 2 }), 'kubectl', false, T2),
    'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
    ['.spec.replicas'],
  );

  const forced = apply(afterScale, deployment({ replicas: 2 }), 'kubectl', true, T2);
  assert.equal(forced.spec.replicas, 2);
  assert.deepEqual(managers(forced), ['kubectl/Apply']);
  assert.ok(JSON.stringify(fieldsOf(forced, 'kubectl')).includes('f:replicas'));
});

test('applying the same value another manager set is not a conflict; ownership is shared', () => {
  const live = stored(apply(undefined, deployment({ replicas: 2 }), 'kubectl', false, T0));
  const scaled = structuredClone(live);
  scaled.spec.replicas = 5;
  const afterScale = updateManagedFields({ old: live, updated: scaled, manager: 'kubectl-scale', now: T1 });
  const out = apply(afterScale, deployment({ replicas: 5 }), 'kubectl', false, T2);
  assert.equal(out.spec.replicas, 5);
  assert.deepEqual(managers(out), ['kubectl/Apply', 'kubectl-scale/Update']);
});

test('client-side create, then apply --server-side by another manager: conflicts name the Update manager and its version', () => {
  const created = stored(updateManagedFields({ old: undefined, updated: deployment({ replicas: 1, image: 'nginx:1' }), manager: 'kubectl-client-side-apply', now: T0 }));
  assert.deepEqual(managers(created), ['kubectl-client-side-apply/Update']);
  assertConflict(
    () => apply(created, deployment({ replicas: 3, image: 'nginx:1' }), 'deployer'),
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    ['.spec.replicas'],
  );
  assertConflict(
    () => apply(created, deployment({ replicas: 3, image: 'nginx:2' }), 'deployer'),
    'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
    ['.spec.replicas', '.spec.template.spec.containers[name="nginx"].image'],
  );
  const forced = apply(created, deployment({ replicas: 3, image: 'nginx:2' }), 'deployer', true);
  assert.deepEqual(managers(forced), ['deployer/Apply', 'kubectl-client-side-apply/Update']);
});

test('kubectl upgrades from client-side apply: conflicts on fields in last-applied-configuration are allowed, and the annotation follows', () => {
  const manifest = deployment({ replicas: 1 });
  const withAnnotation = structuredClone(manifest);
  withAnnotation.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: JSON.stringify(manifest) };
  const created = stored(updateManagedFields({ old: undefined, updated: withAnnotation, manager: 'kubectl-client-side-apply', now: T0 }));
  const out = apply(created, deployment({ replicas: 4 }), 'kubectl');
  assert.equal(out.spec.replicas, 4);
  assert.deepEqual(JSON.parse(out.metadata.annotations![LAST_APPLIED_ANNOTATION]), deployment({ replicas: 4 }));
  // Another manager name gets no such allowance.
  assertConflict(() => apply(created, deployment({ replicas: 4 }), 'deployer'), 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas', ['.spec.replicas']);
});

test('objects without managedFields are charged to before-first-apply', () => {
  const untracked = stored(deployment({ replicas: 1 }));
  assertConflict(
    () => apply(untracked, deployment({ replicas: 2 })),
    'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    ['.spec.replicas'],
  );
  const out = apply(untracked, deployment({ replicas: 1 }));
  assert.deepEqual(managers(out), ['kubectl/Apply', 'before-first-apply/Update']);
});

test('conflicts across managers list each manager with its fields', () => {
  const live = stored(apply(undefined, deployment({ replicas: 1 }), 'a', false, T0));
  const b = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { team: 'x' } } }, 'b', false, T1);
  const err = (() => {
    try {
      apply(b, deployment({ replicas: 9, labels: { app: 'web', team: 'y' } }), 'c', false, T2);
    } catch (e) {
      return e as ApiError;
    }
    throw new Error('expected a conflict');
  })();
  assert.equal(err.code, 409);
  assert.equal(err.message, 'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\nconflicts with "b":\n- .metadata.labels.team');
  assert.deepEqual(
    err.details?.causes,
    [
      { reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' },
      { reason: 'FieldManagerConflict', message: 'conflict with "b"', field: '.metadata.labels.team' },
    ],
  );
});

test('updateManagedFields: create owns everything it set, with "." for new maps and items', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { app: 'x' }, finalizers: ['f'] },
    spec: { containers: [{ name: 'c', image: 'i' }] },
  };
  const out = updateManagedFields({ old: undefined, updated: pod, manager: 'kubectl-create', now: T0 });
  assert.deepEqual(out.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:finalizers': { '.': {}, 'v:"f"': {} }, 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
      },
    },
  ]);
  assert.equal(pod.metadata.managedFields, undefined, 'input not modified');
});

test('updateManagedFields: a no-op write adds no entry; removals leave every set; [] resets', () => {
  const live = stored(apply(undefined, deployment({ replicas: 2, labels: { app: 'web', tier: 'a' } }), 'kubectl', false, T0));
  assert.deepEqual(updateManagedFields({ old: live, updated: structuredClone(live), manager: 'ctl', now: T1 }), live);

  const removed = structuredClone(live);
  delete removed.metadata.labels!.tier;
  const out = updateManagedFields({ old: live, updated: removed, manager: 'kubectl-edit', now: T1 });
  assert.deepEqual(managers(out), ['kubectl/Apply']);
  assert.equal(JSON.stringify(out.metadata.managedFields).includes('f:tier'), false);

  const reset = structuredClone(live);
  reset.metadata.managedFields = [];
  assert.equal(updateManagedFields({ old: live, updated: reset, manager: 'x', now: T1 }).metadata.managedFields, undefined);
});

test('updateManagedFields: status writes through a subresource are recorded with it', () => {
  const live = stored(apply(undefined, deployment({ replicas: 1 }), 'kubectl', false, T0));
  const withStatus = structuredClone(live);
  withStatus.status = { conditions: [{ type: 'Available', status: 'True' }] };
  const out = updateManagedFields({ old: live, updated: withStatus, manager: 'peapod-controller', subresource: 'status', now: T1 });
  const entry = out.metadata.managedFields!.find((m) => m.manager === 'peapod-controller')!;
  assert.equal(entry.subresource, 'status');
  assert.deepEqual(entry.fieldsV1, { 'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } } } });
});

test('apply validates the configuration', () => {
  const cases: [unknown, number, RegExp][] = [
    [{ kind: 'Deployment', metadata: { name: 'web' } }, 400, /apiVersion must be set/],
    [{ apiVersion: 'apps/v1', metadata: { name: 'web' } }, 400, /kind must be set/],
    [{ apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'web' } }, 400, /Incorrect version specified in apply patch. Specified patch version: apps\/v1beta1, expected: apps\/v1/],
    [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', managedFields: [] } }, 400, /metadata.managedFields must be nil/],
    [deployment({ containers: [{ image: 'x' }] }), 422, /omits key field "name"/],
    [deployment({ containers: [{ name: 'a' }, { name: 'a' }] }), 422, /duplicate entries for key/],
  ];
  for (const [applied, code, message] of cases) {
    assert.throws(
      () => apply(undefined, applied as KubeObject),
      (err: unknown) => err instanceof ApiError && err.code === code && message.test(err.message),
      JSON.stringify(applied),
    );
  }
});

test('apply ignores null system metadata (kubectl sends creationTimestamp: null)', () => {
  const live = stored(apply(undefined, deployment(), 'kubectl', false, T0));
  const cfg = deployment();
  (cfg.metadata as Record<string, unknown>).creationTimestamp = null;
  assert.equal(apply(live, cfg).metadata.creationTimestamp, T0);
});

test('apply merges service ports by port+protocol, defaulting protocol', () => {
  const svc = (ports: object[]): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports } });
  const live = stored(serverSideApply({ live: undefined, applied: svc([{ port: 80, targetPort: 8080 }]), manager: 'kubectl', force: false, apiVersion: 'v1', now: T0 }));
  const withProtocol = structuredClone(live);
  withProtocol.spec.ports[0].protocol = 'TCP';
  const out = serverSideApply({ live: withProtocol, applied: svc([{ port: 80, targetPort: 9090 }, { port: 53, protocol: 'UDP' }]), manager: 'kubectl', force: false, apiVersion: 'v1', now: T1 });
  assert.deepEqual(out.spec.ports, [{ port: 80, targetPort: 9090, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }]);
  assert.ok('k:{"port":53,"protocol":"UDP"}' in (out.metadata.managedFields![0].fieldsV1 as any)['f:spec']['f:ports']);
});

test('updateManagedFields: an update takes only the fields it changed from their owners; other entries stay as they were', () => {
  const created = updateManagedFields({ old: undefined, updated: stored(deployment({ replicas: 2, labels: { app: 'web', tier: 'a' } })), manager: 'creator', now: T0 });
  const withStatus = structuredClone(created);
  withStatus.status = { replicas: 2 };
  const live = updateManagedFields({ old: created, updated: withStatus, manager: 'ctrl', subresource: 'status', now: T1 });
  const statusEntry = structuredClone(live.metadata.managedFields!.find((m) => m.manager === 'ctrl'));

  const relabel = structuredClone(live);
  relabel.metadata.labels!.tier = 'b';
  relabel.spec.replicas = 3;
  const out = updateManagedFields({ old: live, updated: relabel, manager: 'editor', now: T2 });
  assert.deepEqual(managers(out), ['creator/Update', 'ctrl/Update/status', 'editor/Update']);
  const creator = JSON.stringify(fieldsOf(out, 'creator'));
  assert.ok(!creator.includes('f:tier') && !creator.includes('f:replicas'), creator);
  assert.ok(creator.includes('f:app') && creator.includes('f:template'), creator);
  assert.deepEqual(fieldsOf(out, 'editor'), { 'f:metadata': { 'f:labels': { 'f:tier': {} } }, 'f:spec': { 'f:replicas': {} } });
  assert.deepEqual(out.metadata.managedFields!.find((m) => m.manager === 'ctrl'), statusEntry);

  // The same write with managedFields the client rewrote in an equivalent form goes the general way and agrees.
  const rewritten = structuredClone(relabel);
  rewritten.metadata.managedFields = structuredClone(live.metadata.managedFields)!.reverse();
  assert.deepEqual(updateManagedFields({ old: live, updated: rewritten, manager: 'editor', now: T2 }), out);
});

test('updateManagedFields: create records exactly what the general comparison of nothing and the object finds', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'd', uid: 'u', creationTimestamp: T0, labels: { a: 'b' }, annotations: {} },
    spec: {
      containers: [
        { name: 'c', image: 'i', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }], env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }], resources: {} },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
      tolerations: [{ key: 'k', operator: 'Exists' }],
      securityContext: {},
    },
    status: { phase: 'Pending', conditions: [] },
  };
  const created = updateManagedFields({ old: undefined, updated: pod, manager: 'm', now: T1 });
  // {} as the old object takes the general path (old is defined), with the same meaning as a create.
  const general = updateManagedFields({ old: { apiVersion: 'v1', kind: 'Pod', metadata: {} } as KubeObject, updated: pod, manager: 'm', now: T1 });
  assert.deepEqual(created.metadata.managedFields, general.metadata.managedFields);
  assert.ok(JSON.stringify(fieldsOf(created, 'm')).includes('k:{\\"containerPort\\":80,\\"protocol\\":\\"UDP\\"}'));
});

test('updateManagedFields: reset fields are never owned (status on the main resource, spec through status)', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'd' },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
  const created = updateManagedFields({ old: undefined, updated: pod, manager: 'kubectl-run', now: T0, resetFields: ['status'] });
  assert.deepEqual(Object.keys(fieldsOf(created, 'kubectl-run') as object), ['f:spec']);
  assert.deepEqual(created.status, pod.status, 'the object keeps its status');

  const running = structuredClone(created);
  running.status = { phase: 'Running', qosClass: 'BestEffort', podIP: '10.0.0.1' };
  running.spec.containers[0].image = 'sneaky';
  const out = updateManagedFields({ old: created, updated: running, manager: 'kubelet', subresource: 'status', now: T1, resetFields: ['spec'] });
  assert.deepEqual(fieldsOf(out, 'kubelet'), { 'f:status': { 'f:phase': {}, 'f:podIP': {} } });
  assert.deepEqual(fieldsOf(out, 'kubectl-run'), fieldsOf(created, 'kubectl-run'));
});
