import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** A kubeconfig that kubectl and the client libraries use as they are. */
export function kubeconfigYAML(opts: { server: string; caCert: string; token: string; name?: string }): string {
  const name = opts.name ?? 'peapod';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: opts.server,
          'certificate-authority-data': Buffer.from(opts.caCert).toString('base64'),
        },
      },
    ],
    users: [{ name: `${name}-admin`, user: { token: opts.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, opts: Parameters<typeof kubeconfigYAML>[0]): void {
  writeFileSync(path, kubeconfigYAML(opts), { mode: 0o600 });
}
