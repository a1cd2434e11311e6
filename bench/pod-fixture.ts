/**
 * The pod the API benchmark creates: one container with labels, resources, ports, env and
 * probes, about 1 KB as JSON, the size of a typical small Deployment-made pod.
 */

export const BENCH_NAMESPACE = 'default';

export function benchPodName(i: number): string {
  return `bench-${String(i).padStart(6, '0')}`;
}

export function benchPod(i: number, namespace = BENCH_NAMESPACE): Record<string, unknown> {
  const app = `web-${i % 20}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: benchPodName(i),
      namespace,
      labels: {
        app,
        tier: i % 3 === 0 ? 'frontend' : 'backend',
        'pod-template-hash': '7d9f8c6b5d',
        'app.kubernetes.io/part-of': 'peapod-bench',
      },
      annotations: { 'bench.peapod.io/index': String(i) },
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.local/peapod/bench-app:1.4.2',
          command: ['/bin/app'],
          args: ['--listen=:8080', '--log-level=info', `--shard=${i % 16}`],
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: [
            { name: 'APP_NAME', value: app },
            { name: 'APP_ENV', value: 'bench' },
            { name: 'CACHE_SIZE_MB', value: '64' },
          ],
          resources: {
            requests: { cpu: '100m', memory: '128Mi' },
            limits: { cpu: '500m', memory: '256Mi' },
          },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/livez', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10 },
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
    },
  };
}
