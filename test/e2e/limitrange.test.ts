/**
 * LimitRanges through the real kubectl, on one real `peapod server` (no controllers or
 * scheduler: admission is all that is looked at): a LimitRange made from YAML is listed and
 * described; the next pod without resources gets its defaults and the LimitRanger annotation,
 * also under `apply --dry-run=server`; a pod over the max is Forbidden, one whose explicit
 * request exceeds the defaulted limit Invalid, and so is a LimitRange whose min exceeds its max.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlFor, removeDir, startServer, type Kubectl, type RunningServer } from '../util/cluster.js';

const limitRange = `
apiVersion: v1
kind: LimitRange
metadata:
  name: limits
spec:
  limits:
  - type: Container
    default:
      cpu: 500m
      memory: 256Mi
    defaultRequest:
      cpu: 100m
    max:
      cpu: "1"
      memory: 1Gi
    min:
      cpu: 50m
  - type: Pod
    max:
      memory: 2Gi
`;

/** A one-container pod, with the given resources block (YAML lines under `resources:`), if any. */
function pod(name: string, resources = ''): string {
  return `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: app
    image: nginx
${resources ? `    resources:\n${resources}` : ''}`;
}

const resourcesJSONPath = '{.spec.containers[0].resources}';

describe('LimitRanges through kubectl', { concurrency: false }, () => {
  let server: RunningServer | undefined;
  let k: Kubectl | undefined;

  before(async () => {
    server = await startServer({ extraArgs: ['--no-controllers', '--no-scheduler'] });
    k = kubectlFor(server.kubeconfig);
  });

  after(async () => {
    k?.cleanup();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('creates a LimitRange from YAML; get limits and describe limitrange show it', async () => {
    const kubectl = k!;
    assert.equal((await kubectl.ok(['apply', '-f', '-'], { input: limitRange })).trim(), 'limitrange/limits created');
    const table = (await kubectl.ok(['get', 'limits'])).trim().split('\n');
    assert.match(table[0]!, /^NAME\s+CREATED AT$/);
    assert.match(table[1]!, /^limits\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const described = await kubectl.ok(['describe', 'limitrange', 'limits']);
    assert.match(described, /^Name:\s+limits$/m);
    assert.match(described, /^Type\s+Resource\s+Min\s+Max\s+Default Request\s+Default Limit\s+Max Limit\/Request Ratio$/m);
    // The memory request defaults to the default limit (the LimitRange's own defaulting).
    assert.match(described, /^Container\s+cpu\s+50m\s+1\s+100m\s+500m\s+-$/m);
    assert.match(described, /^Container\s+memory\s+-\s+1Gi\s+256Mi\s+256Mi\s+-$/m);
    assert.match(described, /^Pod\s+memory\s+-\s+2Gi\s+-\s+-\s+-$/m);
  });

  it('a pod without resources gets the defaults and the annotation, also under apply --dry-run=server', async () => {
    const kubectl = k!;
    await kubectl.ok(['run', 'web', '--image=nginx']);
    const resources = JSON.parse(await kubectl.ok(['get', 'pod', 'web', '-o', `jsonpath=${resourcesJSONPath}`]));
    assert.deepEqual(resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    assert.equal(
      await kubectl.ok(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}']),
      'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web',
    );
    assert.equal(await kubectl.ok(['get', 'pod', 'web', '-o', 'jsonpath={.status.qosClass}']), 'Burstable');

    const dry = await kubectl.ok(['apply', '--dry-run=server', '-f', '-', '-o', `jsonpath=${resourcesJSONPath}`], { input: pod('dry') });
    assert.deepEqual(JSON.parse(dry), resources);
    const missing = await kubectl(['get', 'pod', 'dry']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pods "dry" not found/);
  });

  it('a pod over the max is Forbidden; a request above the defaulted limit is Invalid', async () => {
    const kubectl = k!;
    const big = await kubectl(['apply', '-f', '-'], { input: pod('big', '      limits:\n        cpu: "2"\n        memory: 2Gi\n') });
    assert.equal(big.code, 1);
    assert.equal(
      big.stderr.trim(),
      'Error from server (Forbidden): error when creating "STDIN": pods "big" is forbidden: ' +
        '[maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]',
    );
    const small = await kubectl(['apply', '-f', '-'], { input: pod('small', '      requests:\n        cpu: 10m\n') });
    assert.equal(small.code, 1);
    assert.equal(
      small.stderr.trim(),
      'Error from server (Forbidden): error when creating "STDIN": pods "small" is forbidden: minimum cpu usage per Container is 50m, but request is 10m',
    );
    const greedy = await kubectl(['apply', '-f', '-'], { input: pod('greedy', '      requests:\n        cpu: 800m\n') });
    assert.equal(greedy.code, 1);
    assert.match(greedy.stderr, /The Pod "greedy" is invalid: spec\.containers\[0\]\.resources\.requests.*: Invalid value: "800m": must be less than or equal to cpu limit of 500m/);
    assert.equal((await kubectl(['get', 'pods', 'big', 'small', 'greedy'])).stdout, '', 'none of them was stored');
  });

  it('a LimitRange whose min exceeds its max is Invalid', async () => {
    const bad = await k!(['create', '-f', '-'], {
      input: 'apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: bad\nspec:\n  limits:\n  - type: Pod\n    min:\n      cpu: "2"\n    max:\n      cpu: "1"\n',
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /The LimitRange "bad" is invalid: spec\.limits\[0\]\.min\[cpu\]: Invalid value: resource\.Quantity\{.*\}: min value 2 is greater than max value 1/);
  });
});
