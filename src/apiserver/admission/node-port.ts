/**
 * nodePortAllocator: gives every port of a NodePort (or LoadBalancer) Service a node port from
 * the node port range when it asks for none, keeps the ones a Service already holds across
 * updates, and refuses a port another Service holds. Like clusterIPAllocator, it reads the
 * ports in use from the stored Services on each allocation, so it keeps no state that a restart
 * could lose.
 */
import { invalid, type FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceType } from '../../api/resource.js';
import { needsNodePorts, NODE_PORT_RANGE } from '../../api/kinds/services.js';
import type { AdmissionHook, ObjectRegistry } from '../registry.js';

interface Port {
  port?: number;
  protocol?: string;
  nodePort?: number;
}

const portsOf = (svc: KubeObject | undefined): Port[] => (Array.isArray(svc?.spec?.ports) ? (svc.spec.ports as Port[]) : []);

export function nodePortAllocator(registry: ObjectRegistry, servicesType: ResourceType, range = NODE_PORT_RANGE): AdmissionHook {
  const size = range.max - range.min + 1;
  // Allocations in this process run one at a time, so two writes never pick the same free port.
  let chain: Promise<unknown> = Promise.resolve();
  // Ports handed to a write that may not be stored yet, by Service uid and the resourceVersion
  // the write replaces: held until a listing shows a newer version of that Service (then the
  // stored spec says which ports it holds), or for a minute should the write have failed.
  const reserved = new Map<number, { uid: string; replaces: string | undefined; until: number }>();
  const reserve = (n: number, svc: KubeObject) => {
    reserved.set(n, { uid: String(svc.metadata.uid), replaces: svc.metadata.resourceVersion, until: Date.now() + 60_000 });
  };
  return (op, rt, svc, old) => {
    if (rt !== servicesType || !needsNodePorts(svc.spec ?? {})) return;
    const ports = portsOf(svc);
    // An update that leaves a port's node port out keeps the one it had (same port and protocol).
    for (const p of ports) {
      if (p.nodePort) continue;
      const had = portsOf(old).find((o) => o.port === p.port && o.protocol === p.protocol && o.nodePort);
      if (had) p.nodePort = had.nodePort;
    }
    const mine = new Set(portsOf(old).map((p) => p.nodePort).filter((n): n is number => Boolean(n)));
    const run = chain.then(async () => {
      const { items } = await registry.list(servicesType, undefined);
      const stored = new Map(items.map((s) => [s.metadata.uid, s.metadata.resourceVersion]));
      const used = new Set<number>();
      for (const [n, r] of reserved) {
        const landed = stored.has(r.uid) && stored.get(r.uid) !== r.replaces;
        if (landed || r.until < Date.now()) reserved.delete(n);
        else if (r.uid !== svc.metadata.uid) used.add(n);
      }
      for (const s of items) {
        if (s.metadata.uid === svc.metadata.uid) continue;
        for (const p of portsOf(s)) if (p.nodePort) used.add(p.nodePort);
      }
      const errs: FieldError[] = [];
      ports.forEach((p, i) => {
        if (p.nodePort && used.has(p.nodePort) && !mine.has(p.nodePort)) {
          errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: p.nodePort, detail: 'provided port is already allocated' });
        }
      });
      if (errs.length) throw invalid('Service', svc.metadata.name ?? '', errs);
      for (const p of ports) if (p.nodePort) used.add(p.nodePort);
      const start = Math.floor(Math.random() * size);
      let next = 0;
      for (const p of ports) {
        if (p.nodePort) continue;
        while (next < size && used.has(range.min + ((start + next) % size))) next++;
        if (next === size) {
          throw invalid('Service', svc.metadata.name ?? '', [
            { type: 'FieldValueInvalid', field: 'spec.ports', value: [], detail: 'failed to allocate a nodePort: range is full' },
          ]);
        }
        p.nodePort = range.min + ((start + next) % size);
        used.add(p.nodePort);
      }
      for (const p of ports) reserve(p.nodePort!, svc);
    });
    chain = run.catch(() => undefined);
    return run;
  };
}
