/**
 * Pod specs as they appear in pods and in the templates of workload kinds: defaulting,
 * validation and the CONTAINERS/IMAGES table cells. Field paths are passed in so errors name
 * the real location ("spec.template.spec.containers[0].image").
 */
import type { FieldError } from '../errors.js';
import { isPlainObject } from '../object.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, validateLabels } from '../labels.js';
import { QUANTITY_FORMAT_ERROR, compareQuantities, formatQuantity, parseQuantity, type Quantity } from '../quantity.js';
import {
  PORT_RANGE_MSG,
  duplicate,
  forbidden,
  invalidValue,
  isValidPortName,
  isValidPortNum,
  nameErrors,
  notFound,
  notSupported,
  required,
} from '../validation.js';

type Obj = Record<string, any>;

const asArray = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isPlainObject(x) ? x : {})) : []);

// --- Defaulting -----------------------------------------------------------------------------------

/** The tag of an image reference: "" when pinned by digest only, "latest" when neither is given. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const named = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  if (colon > lastSlash) return named.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultProbe(p: unknown): void {
  if (!isPlainObject(p)) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (isPlainObject(p.httpGet)) p.httpGet.scheme ??= 'HTTP';
}

function defaultContainer(c: Obj): void {
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    c.imagePullPolicy = imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const port of asArray(c.ports)) port.protocol ??= 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const env of asArray(c.env)) {
    if (isPlainObject(env.valueFrom) && isPlainObject(env.valueFrom.fieldRef)) env.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
}

const DEFAULT_MODE = 0o644; // 420, what Kubernetes writes for projected files

function defaultVolume(v: Obj): void {
  for (const kind of ['configMap', 'secret', 'downwardAPI', 'projected'] as const) {
    if (isPlainObject(v[kind])) v[kind].defaultMode ??= DEFAULT_MODE;
  }
  if (isPlainObject(v.hostPath)) v.hostPath.type ??= '';
}

/**
 * Defaults a pod spec in place, as the API server does for pods and pod templates alike
 * (pod-only defaults are in defaultPod, pods.ts).
 */
export function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  // v1's deprecated serviceAccount mirrors serviceAccountName, and stands in for it when it is
  // the only one given, as Kubernetes' conversion of a PodSpec does.
  if (!spec.serviceAccountName && typeof spec.serviceAccount === 'string' && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  else delete spec.serviceAccount;
  for (const c of asArray(spec.containers)) defaultContainer(c);
  for (const c of asArray(spec.initContainers)) defaultContainer(c);
  for (const v of asArray(spec.volumes)) defaultVolume(v);
}

/** Defaults a pod template (spec.template of a workload) in place. */
export function defaultPodTemplate(template: unknown): void {
  if (!isPlainObject(template)) return;
  template.metadata ??= {};
  if (!isPlainObject(template.spec)) template.spec = {};
  defaultPodSpec(template.spec as Obj);
}

// --- Validation -----------------------------------------------------------------------------------

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];
const tolerationOperators = ['Equal', 'Exists'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** Every volume source Kubernetes knows; a volume must name exactly one. */
export const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];

function validateResourceList(errs: FieldError[], list: unknown, path: string): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (!isPlainObject(list)) return out;
  for (const [name, raw] of Object.entries(list)) {
    const p = `${path}[${name}]`;
    if (!standardContainerResources.has(name) && !name.startsWith('hugepages-') && !name.includes('/')) {
      errs.push(invalidValue(p, name, 'must be a standard resource for containers'));
      continue;
    }
    if (name.includes('/')) for (const msg of isQualifiedName(name)) errs.push(invalidValue(p, name, msg));
    const text = typeof raw === 'number' ? String(raw) : raw;
    let q: Quantity;
    try {
      q = parseQuantity(text as string);
    } catch {
      errs.push(invalidValue(p, raw, QUANTITY_FORMAT_ERROR));
      continue;
    }
    if (q.nanos < 0n) errs.push(invalidValue(p, formatQuantity(q), 'must be greater than or equal to 0'));
    out.set(name, q);
  }
  return out;
}

function validateResources(errs: FieldError[], res: unknown, path: string): void {
  if (res === undefined || res === null) return;
  if (!isPlainObject(res)) {
    errs.push(invalidValue(path, res, 'must be an object'));
    return;
  }
  const limits = validateResourceList(errs, res.limits, `${path}.limits`);
  const requests = validateResourceList(errs, res.requests, `${path}.requests`);
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim && compareQuantities(req, lim) > 0) {
      errs.push(
        invalidValue(`${path}.requests[${name}]`, formatQuantity(req), `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`),
      );
    }
  }
}

function validatePorts(errs: FieldError[], ports: unknown, path: string): void {
  const names = new Set<string>();
  asArray(ports).forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port.name !== undefined && port.name !== '') {
      const name = String(port.name);
      for (const msg of isValidPortName(name)) errs.push(invalidValue(`${p}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
      names.add(name);
    }
    if (port.containerPort === undefined || port.containerPort === 0) errs.push(required(`${p}.containerPort`));
    else if (!isValidPortNum(port.containerPort)) errs.push(invalidValue(`${p}.containerPort`, port.containerPort, PORT_RANGE_MSG));
    if (port.hostPort !== undefined && port.hostPort !== 0 && !isValidPortNum(port.hostPort)) {
      errs.push(invalidValue(`${p}.hostPort`, port.hostPort, PORT_RANGE_MSG));
    }
    if (!port.protocol) errs.push(required(`${p}.protocol`));
    else if (!protocols.includes(port.protocol)) errs.push(notSupported(`${p}.protocol`, port.protocol, protocols));
  });
}

function validateContainer(errs: FieldError[], c: Obj, p: string, volumes: Set<string>, names: Set<string>): void {
  const name = typeof c.name === 'string' ? c.name : '';
  if (!name) errs.push(required(`${p}.name`));
  else {
    errs.push(...nameErrors(`${p}.name`, name, isDNS1123Label));
    if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
    names.add(name);
  }
  if (typeof c.image !== 'string' || c.image.trim() === '') errs.push(required(`${p}.image`));
  validatePorts(errs, c.ports, `${p}.ports`);
  validateResources(errs, c.resources, `${p}.resources`);
  if (c.imagePullPolicy !== undefined && !pullPolicies.includes(c.imagePullPolicy)) {
    errs.push(notSupported(`${p}.imagePullPolicy`, c.imagePullPolicy, pullPolicies));
  }
  if (c.terminationMessagePolicy !== undefined && !terminationMessagePolicies.includes(c.terminationMessagePolicy)) {
    errs.push(notSupported(`${p}.terminationMessagePolicy`, c.terminationMessagePolicy, terminationMessagePolicies));
  }
  asArray(c.env).forEach((e, i) => {
    if (typeof e.name !== 'string' || e.name === '') errs.push(required(`${p}.env[${i}].name`));
  });
  const mountPaths = new Set<string>();
  asArray(c.volumeMounts).forEach((m, i) => {
    const mp = `${p}.volumeMounts[${i}]`;
    if (typeof m.name !== 'string' || m.name === '') errs.push(required(`${mp}.name`));
    else if (!volumes.has(m.name)) errs.push(notFound(`${mp}.name`, m.name));
    if (typeof m.mountPath !== 'string' || m.mountPath === '') errs.push(required(`${mp}.mountPath`));
    else {
      if (mountPaths.has(m.mountPath)) errs.push(invalidValue(`${mp}.mountPath`, m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
    }
  });
}

function validateVolumes(errs: FieldError[], volumes: unknown, path: string): Set<string> {
  const names = new Set<string>();
  asArray(volumes).forEach((v, i) => {
    const p = `${path}[${i}]`;
    const name = typeof v.name === 'string' ? v.name : '';
    if (!name) errs.push(required(`${p}.name`));
    else {
      errs.push(...nameErrors(`${p}.name`, name, isDNS1123Label));
      if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
      names.add(name);
    }
    const sources = volumeSources.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) errs.push(required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) errs.push(forbidden(`${p}.${extra}`, 'may not specify more than 1 volume type'));
  });
  return names;
}

function validateTolerations(errs: FieldError[], tolerations: unknown, path: string): void {
  asArray(tolerations).forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (t.key) for (const msg of isQualifiedName(t.key)) errs.push(invalidValue(`${p}.key`, t.key, msg));
    if (t.operator !== undefined && t.operator !== '' && !tolerationOperators.includes(t.operator)) {
      errs.push(notSupported(`${p}.operator`, t.operator, tolerationOperators));
    }
    if (t.operator === 'Exists' && t.value) errs.push(invalidValue(`${p}.operator`, t.operator, 'value must be empty when `operator` is \'Exists\''));
    if (t.effect !== undefined && t.effect !== '' && !taintEffects.includes(t.effect)) {
      errs.push(notSupported(`${p}.effect`, t.effect, taintEffects));
    }
  });
}

const nodeSelectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

/** A node selector requirement (matchExpressions, or matchFields when `fields`), as Kubernetes checks it. */
function validateNodeSelectorRequirement(errs: FieldError[], r: Obj, p: string, fields: boolean): void {
  const values = Array.isArray(r.values) ? r.values : [];
  if (fields) {
    if (r.key !== 'metadata.name') errs.push(notSupported(`${p}.key`, r.key, ['metadata.name']));
  } else if (typeof r.key !== 'string' || r.key === '') {
    errs.push(required(`${p}.key`));
  } else {
    for (const msg of isQualifiedName(r.key)) errs.push(invalidValue(`${p}.key`, r.key, msg));
  }
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      else if (fields && values.length !== 1) errs.push(required(`${p}.values`, 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (fields) errs.push(notSupported(`${p}.operator`, r.operator, ['In', 'NotIn']));
      else if (values.length > 0) errs.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (fields) errs.push(notSupported(`${p}.operator`, r.operator, ['In', 'NotIn']));
      else if (values.length !== 1) errs.push(required(`${p}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(notSupported(`${p}.operator`, r.operator, fields ? ['In', 'NotIn'] : nodeSelectorOperators));
  }
}

function validateNodeSelectorTerm(errs: FieldError[], term: unknown, p: string): void {
  const t: Obj = isPlainObject(term) ? term : {};
  asArray(t.matchExpressions).forEach((r, i) => validateNodeSelectorRequirement(errs, r, `${p}.matchExpressions[${i}]`, false));
  asArray(t.matchFields).forEach((r, i) => validateNodeSelectorRequirement(errs, r, `${p}.matchFields[${i}]`, true));
}

/**
 * Node affinity, as Kubernetes validates it. The scheduler treats a malformed term as matching
 * no node, so without this such a pod would be accepted and then wait forever, unexplained.
 */
function validateNodeAffinity(errs: FieldError[], affinity: unknown, path: string): void {
  if (!isPlainObject(affinity) || !isPlainObject(affinity.nodeAffinity)) return;
  const na: Obj = affinity.nodeAffinity;
  const p = `${path}.nodeAffinity`;
  const req = na.requiredDuringSchedulingIgnoredDuringExecution;
  if (isPlainObject(req)) {
    const rp = `${p}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    if (!Array.isArray(req.nodeSelectorTerms) || req.nodeSelectorTerms.length === 0) {
      errs.push(required(rp, 'must have at least one node selector term'));
    }
    asArray(req.nodeSelectorTerms).forEach((term, i) => validateNodeSelectorTerm(errs, term, `${rp}[${i}]`));
  }
  asArray(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((pref, i) => {
    const pp = `${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    if (!(Number.isInteger(pref.weight) && pref.weight >= 1 && pref.weight <= 100)) {
      errs.push(invalidValue(`${pp}.weight`, pref.weight, 'must be in the range 1-100'));
    }
    validateNodeSelectorTerm(errs, pref.preference, `${pp}.preference`);
  });
}

/** Validation errors for a pod spec at path ("spec", or "spec.template.spec" in workloads). */
export function validatePodSpec(rawSpec: unknown, path: string): FieldError[] {
  if (!isPlainObject(rawSpec)) return [required(path)];
  const spec: Obj = rawSpec;
  const errs: FieldError[] = [];
  const volumes = validateVolumes(errs, spec.volumes, `${path}.volumes`);
  const names = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errs.push(required(`${path}.containers`));
  asArray(spec.containers).forEach((c, i) => validateContainer(errs, c, `${path}.containers[${i}]`, volumes, names));
  asArray(spec.initContainers).forEach((c, i) => validateContainer(errs, c, `${path}.initContainers[${i}]`, volumes, names));

  if (!spec.restartPolicy) errs.push(required(`${path}.restartPolicy`));
  else if (!restartPolicies.includes(spec.restartPolicy)) errs.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, restartPolicies));
  if (spec.dnsPolicy !== undefined && !dnsPolicies.includes(spec.dnsPolicy)) {
    errs.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, dnsPolicies));
  }
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && !(Number.isInteger(ads) && ads >= 1 && ads <= 2147483647)) {
    errs.push(invalidValue(`${path}.activeDeadlineSeconds`, ads, 'must be between 1 and 2147483647, inclusive'));
  }
  const tgps = spec.terminationGracePeriodSeconds;
  if (tgps !== undefined && tgps !== null && !Number.isInteger(tgps)) {
    errs.push(invalidValue(`${path}.terminationGracePeriodSeconds`, tgps, 'must be an integer'));
  }
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  if (spec.serviceAccountName) errs.push(...nameErrors(`${path}.serviceAccountName`, spec.serviceAccountName, isDNS1123Subdomain));
  if (spec.hostname) errs.push(...nameErrors(`${path}.hostname`, spec.hostname, isDNS1123Label));
  if (spec.subdomain) errs.push(...nameErrors(`${path}.subdomain`, spec.subdomain, isDNS1123Label));
  if (spec.nodeName) errs.push(...nameErrors(`${path}.nodeName`, spec.nodeName, isDNS1123Subdomain));
  validateTolerations(errs, spec.tolerations, `${path}.tolerations`);
  validateNodeAffinity(errs, spec.affinity, `${path}.affinity`);
  return errs;
}

/** Validation errors for a workload's pod template at path ("spec.template"). */
export function validatePodTemplate(template: unknown, path: string): FieldError[] {
  if (!isPlainObject(template)) return [required(path)];
  const meta = isPlainObject(template.metadata) ? template.metadata : {};
  return [...validateLabels(meta.labels, `${path}.metadata.labels`), ...validatePodSpec(template.spec, `${path}.spec`)];
}

// --- Table cells ------------------------------------------------------------------------------------

/** kubectl's CONTAINERS and IMAGES cells: names and images, comma separated. */
export function containerCells(spec: unknown): [string, string] {
  const cs = isPlainObject(spec) ? asArray(spec.containers) : [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
}
