import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../framework.js';
import { NodeInfo, newPodInfo } from '../nodeinfo.js';
import { makeNode, makePod, type PodSpec } from '../testutil.js';
import { ERR_REASON_PORTS, NodePorts } from './nodeports.js';

describe('NodePorts filter', () => {
  const existing: PodSpec['hostPorts'] = [{ hostPort: 80 }, { hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }];
  const cases: Array<[string, PodSpec['hostPorts'], boolean]> = [
    ['no host ports', undefined, true],
    ['a free port', [{ hostPort: 8080 }], true],
    ['the same port and protocol', [{ hostPort: 80 }], false],
    ['the same port on a specific address, held on 0.0.0.0', [{ hostPort: 80, hostIP: '10.0.0.9' }], false],
    ['the same port, another protocol', [{ hostPort: 80, protocol: 'UDP' }], true],
    ['a port held on one address, wanted on another', [{ hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.2' }], true],
    ['a port held on one address, wanted on all', [{ hostPort: 53, protocol: 'UDP' }], false],
  ];
  for (const [name, ports, ok] of cases) {
    it(name, () => {
      const ni = new NodeInfo('n', makeNode('n'));
      ni.addPod(newPodInfo(makePod('existing', { hostPorts: existing })));
      const pl = new NodePorts();
      const state = new CycleState();
      const pod = makePod('p', { hostPorts: ports });
      pl.preFilter(state, pod);
      const s = pl.filter(state, pod, ni);
      if (ok) assert.equal(s.code, 'Success');
      else assert.deepEqual([s.code, s.reasons], ['Unschedulable', [ERR_REASON_PORTS]]);
    });
  }
});
