import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kubeconfigYAML } from '../apiserver/kubeconfig.js';
import { loadKubeconfig, parseKubeconfig } from './kubeconfig.js';

const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('kubeconfig', () => {
  it('reads what the API server writes', () => {
    const got = parseKubeconfig(kubeconfigYAML({ server: 'https://127.0.0.1:6443', caCert: ca, token: 'tok' }));
    assert.deepEqual(got, { server: 'https://127.0.0.1:6443', caCert: ca, token: 'tok', namespace: 'default' });
  });

  it('follows current-context, file references and tokenFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peapod-kc-'));
    try {
      writeFileSync(join(dir, 'ca.crt'), ca);
      writeFileSync(join(dir, 'token'), 'from-file\n');
      const doc = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'one', cluster: { server: 'https://one:1', 'certificate-authority-data': Buffer.from('other').toString('base64') } },
          { name: 'two', cluster: { server: 'https://two:2', 'certificate-authority': 'ca.crt' } },
        ],
        users: [
          { name: 'u1', user: { token: 't1' } },
          { name: 'u2', user: { tokenFile: join(dir, 'token') } },
        ],
        contexts: [
          { name: 'c1', context: { cluster: 'one', user: 'u1' } },
          { name: 'c2', context: { cluster: 'two', user: 'u2', namespace: 'team' } },
        ],
        'current-context': 'c2',
      };
      writeFileSync(join(dir, 'config'), stringify(doc));
      assert.deepEqual(loadKubeconfig(join(dir, 'config')), { server: 'https://two:2', caCert: ca, token: 'from-file', namespace: 'team' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is missing', () => {
    const cases: [string, RegExp][] = [
      ['apiVersion: v1\n', /no current-context/],
      ['current-context: x\ncontexts: []\n', /context "x" not found/],
      ['current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: "https://k"}}]\nusers: [{name: u, user: {token: t}}]\n', /no certificate authority/],
      ['current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: "https://k", certificate-authority-data: eA==}}]\nusers: [{name: u, user: {}}]\n', /no bearer token/],
    ];
    for (const [text, want] of cases) assert.throws(() => parseKubeconfig(text), want);
  });
});
