/**
 * ServiceAccount admission: a new pod that names no service account runs as its namespace's
 * `default` one, as Kubernetes' ServiceAccount admission plugin sets it.
 *
 * Left out for now: the plugin also refuses a pod whose service account does not exist (waiting
 * a moment for `default`, which the serviceaccount controller makes), and mounts a projected
 * token volume (kube-api-access-*) into its containers. Both wait for a node agent that can
 * mount the token; until then every pod would carry a volume nothing fills.
 */
import { DEFAULT_SERVICE_ACCOUNT } from '../../api/kinds/serviceaccounts.js';
import type { AdmissionHook } from '../registry.js';

export function serviceAccountAdmission(): AdmissionHook {
  return (op, rt, pod) => {
    if (op !== 'create' || rt.group !== '' || rt.plural !== 'pods') return;
    const spec = pod.spec;
    if (!spec || typeof spec !== 'object') return;
    if (!spec.serviceAccountName) spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccount = spec.serviceAccountName;
  };
}
