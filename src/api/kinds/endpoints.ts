/** core/v1 endpoints: the addresses behind a service, written by the endpoints controller. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { isDNS1123Label } from '../labels.js';
import { PORT_RANGE_MSG, invalidValue, isIPAddress, isValidPortNum, nameErrors, nonSpecialIPErrors, notSupported, required } from '../validation.js';
import { ageCell, ageColumn, column, int, list, str } from './common.js';

const protocols = ['SCTP', 'TCP', 'UDP'];

function defaultEndpoints(ep: KubeObject): void {
  for (const subset of list(ep, 'subsets')) for (const p of list(subset, 'ports')) p.protocol ??= 'TCP';
}

function validateEndpoints(ep: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  list(ep, 'subsets').forEach((subset, i) => {
    const path = `subsets[${i}]`;
    for (const key of ['addresses', 'notReadyAddresses'] as const) {
      list(subset, key).forEach((a, j) => {
        const ip = str(a.ip);
        if (!ip) errs.push(required(`${path}.${key}[${j}].ip`));
        else if (!isIPAddress(ip)) errs.push(invalidValue(`${path}.${key}[${j}].ip`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
        // Endpoints must be routable to a pod: no loopback, link-local or unspecified addresses.
        else errs.push(...nonSpecialIPErrors(`${path}.${key}[${j}].ip`, ip));
      });
    }
    const ports = list(subset, 'ports');
    ports.forEach((p, j) => {
      const pp = `${path}.ports[${j}]`;
      if (ports.length > 1 && !str(p.name)) errs.push(required(`${pp}.name`));
      if (str(p.name)) errs.push(...nameErrors(`${pp}.name`, p.name, isDNS1123Label));
      if (!isValidPortNum(p.port)) errs.push(invalidValue(`${pp}.port`, p.port ?? 0, PORT_RANGE_MSG));
      if (!protocols.includes(p.protocol)) errs.push(notSupported(`${pp}.protocol`, p.protocol ?? '', protocols));
    });
  });
  return errs;
}

/** ENDPOINTS: up to three "ip:port" pairs, then "+ N more...", or "<none>". */
export function formatEndpoints(ep: KubeObject): string {
  const subsets = list(ep, 'subsets');
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addrs = list(ss, 'addresses');
    const ports = list(ss, 'ports');
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) if (shown.length < max) shown.push(str(a.ip));
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (shown.length < max) {
          const ip = str(a.ip);
          shown.push(ip.includes(':') ? `[${ip}]:${int(p.port)}` : `${ip}:${int(p.port)}`);
        }
      }
    }
  }
  const text = shown.join(',');
  return count > max ? `${text} + ${count - max} more...` : text;
}

export const endpoints: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  listKind: 'EndpointsList',
  plural: 'endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  categories: [],
  hasStatus: false,
  defaults: defaultEndpoints,
  validate: validateEndpoints,
  columns: [column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), ageColumn],
  cells: (ep, now) => [formatEndpoints(ep), ageCell(ep, now)],
  selectableFields: () => ({}),
};
