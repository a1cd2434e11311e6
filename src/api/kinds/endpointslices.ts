/**
 * discovery.k8s.io/v1 endpointslices: a Service's endpoints in pieces of at most 1000, written
 * by the EndpointSlice controllers (and read by kube-proxy and, from 1.31, `kubectl describe
 * service`). Defaults, validation and table cells as Kubernetes' discovery API group has them.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '../labels.js';
import { duplicate, immutable, invalidValue, isIPAddress, nameErrors, nonSpecialIPErrors, notSupported, required, tooMany } from '../validation.js';
import { ageCell, ageColumn, column, list, str } from './common.js';

/** The Service an EndpointSlice belongs to. */
export const serviceNameLabel = 'kubernetes.io/service-name';
/** Which controller (or user) manages an EndpointSlice. */
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';

export const addressTypes = ['FQDN', 'IPv4', 'IPv6'] as const;
export type AddressType = (typeof addressTypes)[number];
/** "IP" is deprecated: slices that have it may still be updated, none may be created with it. */
const deprecatedAddressTypes = ['IP'];
const protocols = ['SCTP', 'TCP', 'UDP'];

export const maxEndpointsPerSlice = 1000;
const maxAddresses = 100;
const maxPorts = 100;

function defaultEndpointSlice(slice: KubeObject): void {
  for (const p of list(slice, 'ports')) {
    // v1 defaults a missing name to "" (so two unnamed ports are duplicates) and protocol to TCP.
    p.name ??= '';
    p.protocol ??= 'TCP';
  }
  // v1 requests silently drop the v1beta1-only topology map.
  if (Array.isArray(slice.endpoints)) {
    for (const ep of slice.endpoints) if (isPlainObject(ep)) delete ep.deprecatedTopology;
  }
}

// --- addresses --------------------------------------------------------------------------------

/** Kubernetes' IsFullyQualifiedDomainName: a DNS subdomain of at least two labels, a trailing dot allowed. */
function fqdnErrors(field: string, value: string): FieldError[] {
  if (!value) return [required(field)];
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const sub = isDNS1123Subdomain(name);
  if (sub.length) return [invalidValue(field, name, sub.join(','))];
  const labels = name.split('.');
  if (labels.length < 2) return [invalidValue(field, name, 'should be a domain with at least two segments separated by dots')];
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length) return [invalidValue(field, label, errs.join(','))];
  }
  return [];
}

function addressErrors(field: string, address: unknown, addressType: string): FieldError[] {
  const a = typeof address === 'string' ? address : '';
  switch (addressType) {
    case 'IP':
      return isIPAddress(a) ? [] : [invalidValue(field, a, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
    case 'IPv4':
    case 'IPv6': {
      // As Kubernetes: the family check, then the special-range check (which repeats the
      // complaint for something that is no IP at all).
      const v6 = addressType === 'IPv6';
      const ok = isIPAddress(a) && a.includes(':') === v6;
      return [...(ok ? [] : [invalidValue(field, a, `must be a valid ${addressType} address`)]), ...nonSpecialIPErrors(field, a)];
    }
    case 'FQDN':
      return fqdnErrors(field, a);
    default:
      // Unknown types were refused at addressType; their addresses are not checked.
      return [];
  }
}

// --- validation -------------------------------------------------------------------------------

function validateEndpoints(slice: KubeObject, addressType: string): FieldError[] {
  const endpoints = list(slice, 'endpoints');
  if (endpoints.length > maxEndpointsPerSlice) return [tooMany('endpoints', endpoints.length, maxEndpointsPerSlice)];
  const errs: FieldError[] = [];
  endpoints.forEach((ep, i) => {
    const path = `endpoints[${i}]`;
    const addresses: unknown[] = Array.isArray(ep.addresses) ? ep.addresses : [];
    if (addresses.length === 0) errs.push(required(`${path}.addresses`, 'must contain at least 1 address'));
    else if (addresses.length > maxAddresses) errs.push(tooMany(`${path}.addresses`, addresses.length, maxAddresses));
    addresses.forEach((a, j) => errs.push(...addressErrors(`${path}.addresses[${j}]`, a, addressType)));
    if (ep.hostname !== undefined && ep.hostname !== null) errs.push(...nameErrors(`${path}.hostname`, str(ep.hostname), isDNS1123Label));
  });
  return errs;
}

function validatePorts(slice: KubeObject): FieldError[] {
  const ports = list(slice, 'ports');
  if (ports.length > maxPorts) return [tooMany('ports', ports.length, maxPorts)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = `ports[${i}]`;
    const name = str(p.name);
    if (name) errs.push(...nameErrors(`${path}.name`, name, isDNS1123Label));
    if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
    else names.add(name);
    if (p.protocol === undefined || p.protocol === null) errs.push(required(`${path}.protocol`));
    else if (!protocols.includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, protocols));
    if (p.appProtocol !== undefined && p.appProtocol !== null) errs.push(...nameErrors(`${path}.appProtocol`, str(p.appProtocol), isQualifiedName));
  });
  return errs;
}

function validateEndpointSlice(slice: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = str(slice.addressType);
  const allowed: readonly string[] = old ? [...addressTypes, ...deprecatedAddressTypes].sort() : addressTypes;
  if (!addressType) errs.push(required('addressType'));
  else if (!allowed.includes(addressType)) errs.push(notSupported('addressType', slice.addressType, allowed));
  errs.push(...validateEndpoints(slice, addressType));
  errs.push(...validatePorts(slice));
  if (old && addressType !== str(old.addressType)) errs.push(immutable('addressType', slice.addressType ?? ''));
  return errs;
}

// --- table ------------------------------------------------------------------------------------

/** Kubernetes' listWithMoreString: the first three, then "+ N more...", or "<unset>" for none. */
function listWithMore(items: string[], count: number, max = 3): string {
  const text = items.slice(0, max).join(',');
  if (count > max) return `${text} + ${count - max} more...`;
  return text || '<unset>';
}

/** PORTS: each port's number (its name when it has none, "*" when neither). */
export function formatSlicePorts(slice: KubeObject): string {
  const ports = list(slice, 'ports');
  return listWithMore(
    ports.map((p) => (typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*')),
    ports.length,
  );
}

/** ENDPOINTS: every endpoint's addresses, in order. */
export function formatSliceEndpoints(slice: KubeObject): string {
  const addresses = list(slice, 'endpoints').flatMap((ep) => (Array.isArray(ep.addresses) ? ep.addresses.map((a: unknown) => str(a)) : []));
  return listWithMore(addresses, addresses.length);
}

export const endpointslices: ResourceType = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  listKind: 'EndpointSliceList',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  shortNames: [],
  categories: [],
  hasStatus: false,
  defaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
  columns: [
    column(
      'AddressType',
      'string',
      'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
    ),
    column(
      'Ports',
      'string',
      'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
    ),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.'),
    ageColumn,
  ],
  cells: (slice, now) => [str(slice.addressType), formatSlicePorts(slice), formatSliceEndpoints(slice), ageCell(slice, now)],
  selectableFields: () => ({}),
};
