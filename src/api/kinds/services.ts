/** core/v1 services. Cluster IP and node port allocation belong to the API server, not here. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { formatLabels, isDNS1123Label, isDNS1123Subdomain, validateLabels } from '../labels.js';
import {
  PORT_RANGE_MSG,
  duplicate,
  invalidValue,
  isIPAddress,
  isValidPortName,
  isValidPortNum,
  nameErrors,
  notSupported,
  required,
} from '../validation.js';
import { ageCell, ageColumn, column, int, list, specOf, str, sub } from './common.js';

/** The node ports a Service may ask for: kube-apiserver's default --service-node-port-range. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const affinities = ['ClientIP', 'None'];

function defaultService(svc: KubeObject): void {
  const spec = specOf(svc);
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    if (!isPlainObject(spec.sessionAffinityConfig)) spec.sessionAffinityConfig = {};
    if (!isPlainObject(spec.sessionAffinityConfig.clientIP)) spec.sessionAffinityConfig.clientIP = {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const p of list(spec, 'ports')) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (spec.type !== 'ExternalName') {
    spec.internalTrafficPolicy ??= 'Cluster';
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.ipFamilies ??= ['IPv4'];
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

/** Whether a Service of this spec is given node ports (kube's needsNodePort). */
export function needsNodePorts(spec: Record<string, any>): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

/**
 * kube's dropTypeDependentFields: a type change that makes node ports (or the load-balancer and
 * external-traffic fields) meaningless drops them when the client only carried them over from
 * the stored Service, so `type: ClusterIP` alone turns a NodePort Service back. Values the
 * client changed are kept, for validation to refuse.
 */
function prepareServiceUpdate(svc: KubeObject, old: KubeObject): void {
  const spec = sub(svc, 'spec');
  const was = sub(old, 'spec');
  if (spec.type === was.type) return;
  const ports = list(spec, 'ports');
  const oldPorts = list(was, 'ports');
  const carried = ports.every((p, i) => !p.nodePort || p.nodePort === oldPorts[i]?.nodePort);
  if (needsNodePorts(was) && !needsNodePorts(spec) && carried) for (const p of ports) delete p.nodePort;
  if (spec.type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === was.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
  if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer' && spec.externalTrafficPolicy === was.externalTrafficPolicy) delete spec.externalTrafficPolicy;
}

function validatePorts(spec: Record<string, any>, errs: FieldError[]): void {
  const ports = list(spec, 'ports');
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    const name = str(p.name);
    if (ports.length > 1 && !name) errs.push(required(`${path}.name`));
    if (name) {
      errs.push(...nameErrors(`${path}.name`, name, isDNS1123Label));
      if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      names.add(name);
    }
    if (!isValidPortNum(p.port)) errs.push(invalidValue(`${path}.port`, p.port ?? 0, PORT_RANGE_MSG));
    if (!p.protocol) errs.push(required(`${path}.protocol`));
    else if (!protocols.includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, protocols));
    const tp = p.targetPort;
    if (typeof tp === 'number') {
      if (!isValidPortNum(tp)) errs.push(invalidValue(`${path}.targetPort`, tp, PORT_RANGE_MSG));
    } else if (typeof tp === 'string') {
      for (const msg of isValidPortName(tp)) errs.push(invalidValue(`${path}.targetPort`, tp, msg));
    }
    if (p.nodePort !== undefined && p.nodePort !== 0 && !isValidPortNum(p.nodePort)) {
      errs.push(invalidValue(`${path}.nodePort`, p.nodePort, PORT_RANGE_MSG));
    } else if (p.nodePort && (p.nodePort < NODE_PORT_RANGE.min || p.nodePort > NODE_PORT_RANGE.max)) {
      // kube-apiserver's node port allocator refuses it (its --service-node-port-range default).
      const range = `${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`;
      errs.push(invalidValue(`${path}.nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${range}`));
    }
    if (p.nodePort && spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') {
      errs.push({ type: 'FieldValueForbidden', field: `${path}.nodePort`, detail: 'may not be used when `type` is \'ClusterIP\'' });
    }
  });
}

function validateService(svc: KubeObject, old?: KubeObject): FieldError[] {
  const spec = sub(svc, 'spec');
  const errs: FieldError[] = [];
  const type = spec.type;
  if (!serviceTypes.includes(type)) errs.push(notSupported('spec.type', type ?? '', serviceTypes));
  const headless = spec.clusterIP === 'None';
  if (list(spec, 'ports').length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  validatePorts(spec, errs);
  if (type === 'ExternalName') {
    const name = str(spec.externalName);
    if (!name) errs.push(required('spec.externalName'));
    else errs.push(...nameErrors('spec.externalName', name.replace(/\.$/, ''), isDNS1123Subdomain));
  }
  if (spec.sessionAffinity !== undefined && !affinities.includes(spec.sessionAffinity)) {
    errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, affinities));
  }
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const ip = str(spec.clusterIP);
  if (ip && ip !== 'None' && !isIPAddress(ip)) {
    errs.push(invalidValue('spec.clusterIPs[0]', ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  }
  for (const [i, ext] of (Array.isArray(spec.externalIPs) ? spec.externalIPs : []).entries()) {
    if (!isIPAddress(String(ext))) errs.push(invalidValue(`spec.externalIPs[${i}]`, ext, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  }
  const oldIP = str(sub(old, 'spec').clusterIP);
  if (old && oldIP && sub(old, 'spec').type !== 'ExternalName' && type !== 'ExternalName' && ip !== oldIP) {
    errs.push(invalidValue('spec.clusterIPs[0]', ip, 'may not change once set'));
  }
  return errs;
}

/** EXTERNAL-IP: explicit external IPs, or the load balancer's ingress points ("<pending>" until it has some). */
function externalIP(svc: KubeObject): string {
  const spec = sub(svc, 'spec');
  const external: string[] = Array.isArray(spec.externalIPs) ? spec.externalIPs.map(String) : [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'ExternalName':
      return str(spec.externalName);
    case 'LoadBalancer':
      break;
    default:
      return '<unknown>';
  }
  const lb = [...new Set(list(sub(sub(svc, 'status'), 'loadBalancer'), 'ingress').map((i) => str(i.ip) || str(i.hostname)).filter(Boolean))].sort();
  if (external.length) return [...lb, ...external].join(',');
  if (lb.length === 0) return '<pending>';
  const joined = lb.join(',');
  // Without -o wide kubectl clips long load-balancer lists; the server cannot know, so it clips always.
  return joined.length > 16 ? joined.slice(0, 13) + '...' : joined;
}

function portsCell(spec: Record<string, any>): string {
  const cells = list(spec, 'ports').map((p) =>
    int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${str(p.protocol)}` : `${int(p.port)}/${str(p.protocol)}`,
  );
  return cells.length ? cells.join(',') : '<none>';
}

export const services: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Service',
  listKind: 'ServiceList',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  hasStatus: true,
  extraSubresources: ['proxy'],
  defaults: defaultService,
  validate: validateService,
  prepareForUpdate: prepareServiceUpdate,
  columns: [
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn,
    column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', true),
  ],
  cells(svc, now) {
    const spec = sub(svc, 'spec');
    const ips: unknown[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    const clusterIP = str(ips[0]) || str(spec.clusterIP) || '<none>';
    return [str(spec.type), clusterIP, externalIP(svc), portsCell(spec), ageCell(svc, now), formatLabels(spec.selector)];
  },
  selectableFields: () => ({}),
};
