/**
 * clusterIPAllocator: gives each Service a stable virtual IP from the service CIDR when it is
 * created, and refuses an IP another Service already holds. The allocated set is read from
 * the stored Services on each allocation, so it needs no state of its own to survive restarts.
 */
import { invalid } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceType } from '../../api/resource.js';
import type { AdmissionHook, ObjectRegistry } from '../registry.js';

export interface CIDR {
  base: number;
  bits: number;
}

export function parseCIDR(s: string): CIDR {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(s);
  if (!m) throw new Error(`invalid CIDR ${JSON.stringify(s)}: want a.b.c.d/n`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 30) throw new Error(`invalid service CIDR ${s}: prefix must be /8../30`);
  const ip = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, bits };
}

export function ipToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function ipToNumber(s: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

function wantsClusterIP(svc: KubeObject): boolean {
  return svc.spec?.type !== 'ExternalName' && svc.spec?.clusterIP !== 'None';
}

export function clusterIPAllocator(registry: ObjectRegistry, servicesType: ResourceType, cidr: CIDR): AdmissionHook {
  const size = 2 ** (32 - cidr.bits);
  // Serialise allocations in this process so two creates never pick the same free IP.
  let chain: Promise<unknown> = Promise.resolve();
  // IPs handed out whose Service may not be stored yet; kept long enough to outlive the write.
  const reserved = new Set<number>();
  const reserve = (n: number) => {
    reserved.add(n);
    setTimeout(() => reserved.delete(n), 60_000).unref();
  };
  return (op, rt, obj, old) => {
    if (rt !== servicesType) return;
    if (op === 'update') {
      const before = old?.spec?.clusterIP;
      if (before && obj.spec && (obj.spec.clusterIP === undefined || obj.spec.clusterIP === '')) {
        obj.spec.clusterIP = before;
        obj.spec.clusterIPs = old?.spec?.clusterIPs ?? [before];
      }
      if (before && obj.spec?.clusterIP !== before && old?.spec?.type !== 'ExternalName' && obj.spec?.type !== 'ExternalName') {
        throw invalid('Service', obj.metadata.name ?? '', [
          { type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', value: obj.spec?.clusterIP, detail: 'may not change once set' },
        ]);
      }
      return;
    }
    if (!wantsClusterIP(obj)) return;
    const run = chain.then(async () => {
      const used = new Set<number>(reserved);
      const { items } = await registry.list(servicesType, undefined);
      for (const s of items) {
        const n = ipToNumber(s.spec?.clusterIP ?? '');
        if (n !== undefined) used.add(n);
      }
      const requested = obj.spec.clusterIP as string | undefined;
      if (requested) {
        const n = ipToNumber(requested);
        const inRange = n !== undefined && n > cidr.base && n < cidr.base + size - 1;
        if (!inRange) {
          throw invalid('Service', obj.metadata.name ?? '', [
            { type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [requested], detail: `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${ipToString(cidr.base)}/${cidr.bits}` },
          ]);
        }
        if (used.has(n!)) {
          throw invalid('Service', obj.metadata.name ?? '', [
            { type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [requested], detail: `failed to allocate IP ${requested}: provided IP is already allocated` },
          ]);
        }
        obj.spec.clusterIPs = [requested];
        reserve(n!);
        return;
      }
      // .1 is kept for the "kubernetes" service, as in Kubernetes; start after it at random.
      const first = cidr.base + 2;
      const count = size - 3;
      const start = Math.floor(Math.random() * count);
      for (let i = 0; i < count; i++) {
        const n = first + ((start + i) % count);
        if (!used.has(n)) {
          obj.spec.clusterIP = ipToString(n);
          obj.spec.clusterIPs = [obj.spec.clusterIP];
          reserve(n);
          return;
        }
      }
      throw invalid('Service', obj.metadata.name ?? '', [
        { type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [], detail: 'failed to allocate a service IP: range is full' },
      ]);
    });
    chain = run.catch(() => undefined);
    return run;
  };
}
