/** core/v1 nodes. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { isQualifiedName, isValidLabelValue } from '../labels.js';
import { QUANTITY_FORMAT_ERROR, isQuantity } from '../quantity.js';
import { invalidValue, isCIDR, notSupported, required } from '../validation.js';
import { ageCell, ageColumn, column, list, str, sub } from './common.js';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Allocatable defaults to capacity, as Kubernetes does for nodes that report only capacity. */
function defaultNode(node: KubeObject): void {
  const status = node.status;
  if (isPlainObject(status) && isPlainObject(status.capacity) && status.allocatable === undefined) {
    status.allocatable = { ...status.capacity };
  }
}

function validateNode(node: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = sub(node, 'spec');
  list(spec, 'taints').forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    const key = str(t.key);
    if (!key) errs.push(required(`${p}.key`));
    else for (const msg of isQualifiedName(key)) errs.push(invalidValue(`${p}.key`, key, msg));
    if (t.value !== undefined) for (const msg of isValidLabelValue(str(t.value))) errs.push(invalidValue(`${p}.value`, t.value, msg));
    if (!t.effect) errs.push(required(`${p}.effect`));
    else if (!taintEffects.includes(t.effect)) errs.push(notSupported(`${p}.effect`, t.effect, taintEffects));
  });
  if (spec.unschedulable !== undefined && typeof spec.unschedulable !== 'boolean') {
    errs.push(invalidValue('spec.unschedulable', spec.unschedulable, 'must be a boolean'));
  }
  // A lone podCIDR is podCIDRs[0] to kube-apiserver (its v1 conversion), and is checked as that.
  const podCIDRs = Array.isArray(spec.podCIDRs) && spec.podCIDRs.length ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
  podCIDRs.forEach((cidr: unknown, i: number) => {
    if (typeof cidr !== 'string' || !isCIDR(cidr)) {
      errs.push(invalidValue(`spec.podCIDRs[${i}]`, cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    }
  });
  const status = sub(node, 'status');
  for (const key of ['capacity', 'allocatable'] as const) {
    for (const [name, q] of Object.entries(sub(status, key))) {
      const text = typeof q === 'number' ? String(q) : q;
      if (!isQuantity(text)) errs.push(invalidValue(`status.${key}[${name}]`, q, QUANTITY_FORMAT_ERROR));
    }
  }
  return errs;
}

/** STATUS: Ready/NotReady/Unknown from the Ready condition, plus SchedulingDisabled when cordoned. */
function nodeStatus(node: KubeObject): string {
  const ready = list(sub(node, 'status'), 'conditions').find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (sub(node, 'spec').unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** ROLES: from node-role.kubernetes.io/<role> labels and the older kubernetes.io/role label. */
function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function address(node: KubeObject, type: string): string {
  return str(list(sub(node, 'status'), 'addresses').find((a) => a.type === type)?.address) || '<none>';
}

export const nodes: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Node',
  listKind: 'NodeList',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  categories: [],
  hasStatus: true,
  extraSubresources: ['proxy'],
  defaults: defaultNode,
  validate: validateNode,
  columns: [
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node.', true),
    column('External-IP', 'string', 'List of addresses reachable to the node.', true),
    column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', true),
    column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", true),
    column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', true),
  ],
  cells(node, now) {
    const info = sub(sub(node, 'status'), 'nodeInfo');
    return [
      nodeStatus(node),
      nodeRoles(node),
      ageCell(node, now),
      str(info.kubeletVersion),
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
  selectableFields: (node) => ({ 'spec.unschedulable': String(sub(node, 'spec').unschedulable === true) }),
};
