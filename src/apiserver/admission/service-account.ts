/**
 * ServiceAccount admission: a new pod that names no service account runs as its namespace's
 * `default` one, and a pod that names one that does not exist is refused (403, kube's
 * `error looking up service account NS/NAME: serviceaccount "NAME" not found`), as
 * Kubernetes' ServiceAccount admission plugin does. Mirror pods are left alone.
 *
 * Two differences, both waiting for a node agent: a missing `default` is not refused (kube
 * waits a moment for the serviceaccount controller, then refuses; a server without the
 * controllers, `--no-controllers`, would then refuse every pod), and no projected token volume
 * (kube-api-access-*) is mounted, since nothing would fill it yet.
 */
import { forbiddenObject } from '../../api/errors.js';
import { DEFAULT_SERVICE_ACCOUNT } from '../../api/kinds/serviceaccounts.js';
import type { MutatingAdmissionHook } from '../registry.js';
import type { NamespacedObjectCache } from './namespaced-cache.js';

const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

/**
 * The admission hook; with `serviceAccounts` (the names of each namespace's service accounts) it
 * also refuses pods that name a service account that is not there.
 */
export function serviceAccountAdmission(serviceAccounts?: NamespacedObjectCache<string>): MutatingAdmissionHook {
  return (op, rt, pod) => {
    if (op !== 'create' || rt.group !== '' || rt.plural !== 'pods') return;
    const spec = pod.spec;
    if (!spec || typeof spec !== 'object' || pod.metadata.annotations?.[mirrorPodAnnotation] !== undefined) return;
    if (!spec.serviceAccountName) spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccount = spec.serviceAccountName;
    const name = spec.serviceAccountName;
    if (!serviceAccounts || name === DEFAULT_SERVICE_ACCOUNT || typeof name !== 'string') return;
    const ns = pod.metadata.namespace ?? '';
    const refuse = (names: readonly string[]) => {
      if (names.includes(name)) return;
      const why = `error looking up service account ${ns}/${name}: serviceaccount ${JSON.stringify(name)} not found`;
      throw forbiddenObject('pods', pod.metadata.name ?? pod.metadata.generateName ?? '', why);
    };
    const known = serviceAccounts.cached(ns);
    // Not in the cache: maybe made a moment ago by another server, so ask the store, as kube
    // looks up a service account its informer has not seen yet.
    if (known?.includes(name)) return;
    return serviceAccounts.read(ns).then(refuse);
  };
}
