/**
 * What every namespace gets, as in Kubernetes:
 * - serviceaccount-controller: a `default` ServiceAccount, the identity pods run as when they
 *   name none (made again if deleted; never changed once there);
 * - root-ca-cert-publisher: a `kube-root-ca.crt` ConfigMap whose `ca.crt` is the cluster CA's
 *   certificate, for clients in pods to verify the API server with (rewritten if edited).
 */
import { DEFAULT_SERVICE_ACCOUNT } from '../../api/kinds/serviceaccounts.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceRef } from '../../client/interfaces.js';
import { PerNamespaceObjectController, type PerNamespaceObjectOptions } from './per-namespace-object.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

const serviceAccountsRef: ResourceRef = { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true };
const configMapsRef: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

export function serviceAccountsController(opts: PerNamespaceObjectOptions): PerNamespaceObjectController {
  return new PerNamespaceObjectController(
    {
      controller: 'serviceaccount',
      resource: serviceAccountsRef,
      objectName: DEFAULT_SERVICE_ACCOUNT,
      desired: (namespace) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } }),
    },
    opts,
  );
}

export function rootCACertPublisher(opts: PerNamespaceObjectOptions & { caCert: string }): PerNamespaceObjectController {
  const data = { 'ca.crt': opts.caCert };
  return new PerNamespaceObjectController(
    {
      controller: 'root-ca-cert-publisher',
      resource: configMapsRef,
      objectName: ROOT_CA_CONFIGMAP,
      desired: (namespace) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace }, data }),
      corrected: (current: KubeObject) => {
        const d = current.data as Record<string, unknown> | undefined;
        if (d && Object.keys(d).length === 1 && d['ca.crt'] === opts.caCert && !current.binaryData) return undefined;
        const { binaryData: _dropped, ...rest } = current;
        return { ...rest, data };
      },
    },
    opts,
  );
}
