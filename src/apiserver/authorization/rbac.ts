/**
 * The RBAC authorizer (kube's plugin/pkg/auth/authorizer/rbac with the rule resolver of
 * pkg/registry/rbac/validation): a request is allowed when a rule of a role bound to the user
 * allows it: a ClusterRole through a ClusterRoleBinding, or a Role or ClusterRole through a
 * RoleBinding in the request's namespace. It never denies outright: no rule, no permission.
 *
 * Roles and bindings are kept in memory, one NamespacedObjectCache per kind (list + watch +
 * this server's own writes), so a decision never reads the store.
 */
import type { KubeObject } from '../../api/object.js';
import type { ResourceType } from '../../api/resource.js';
import { roleRefOf, subjectsOf, type RoleRef, type Subject } from '../../api/kinds/rolebindings.js';
import { ruleAllows, toPolicyRule, type PolicyRule, type RequestAttributes } from '../../api/rbac/policy-rule.js';
import type { Logger } from '../../util/logger.js';
import { NamespacedObjectCache } from '../admission/namespaced-cache.js';
import type { ObjectRegistry } from '../registry.js';
import type { User } from '../auth.js';
import { aggregateMessage, type Authorizer, type Decision, type RulesResult } from './authorizer.js';

interface RoleView {
  rules: PolicyRule[];
}

interface BindingView {
  name: string;
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
}

const roleView = (role: KubeObject): RoleView => ({ rules: Array.isArray(role.rules) ? role.rules.map(toPolicyRule) : [] });
const bindingView = (b: KubeObject): BindingView => ({ name: b.metadata.name ?? '', namespace: b.metadata.namespace ?? '', roleRef: roleRefOf(b), subjects: subjectsOf(b) });

export interface RBACTypes {
  roles: ResourceType;
  clusterroles: ResourceType;
  rolebindings: ResourceType;
  clusterrolebindings: ResourceType;
}

/** Where a rule came from, described only when a reason is asked for. */
type Source = () => string;
/** Gets each rule that applies (with its source) or error; returns false to stop. */
type Visitor = (rule: PolicyRule | undefined, source: Source | undefined, err: string | undefined) => boolean;

/**
 * What a binding's roleRef resolves to: the role's rules, or (the role is missing) the error
 * kube's listers report and the resource it was looked for in.
 */
export type RoleReference = { rules: PolicyRule[] } | { error: string; resource: 'roles' | 'clusterroles' };

export class RBACAuthorizer implements Authorizer {
  private readonly roles: NamespacedObjectCache<RoleView>;
  private readonly clusterRoles: NamespacedObjectCache<RoleView>;
  private readonly roleBindings: NamespacedObjectCache<BindingView>;
  private readonly clusterRoleBindings: NamespacedObjectCache<BindingView>;

  constructor(registry: ObjectRegistry, types: RBACTypes, log: Logger) {
    this.roles = new NamespacedObjectCache(registry, types.roles, roleView, log);
    this.clusterRoles = new NamespacedObjectCache(registry, types.clusterroles, roleView, log);
    this.roleBindings = new NamespacedObjectCache(registry, types.rolebindings, bindingView, log);
    this.clusterRoleBindings = new NamespacedObjectCache(registry, types.clusterrolebindings, bindingView, log);
  }

  /** Lists every role and binding and watches them from there; resolves once all four are in. */
  async start(): Promise<void> {
    await Promise.all([this.roles.start(), this.clusterRoles.start(), this.roleBindings.start(), this.clusterRoleBindings.start()]);
  }

  close(): void {
    for (const c of [this.roles, this.clusterRoles, this.roleBindings, this.clusterRoleBindings]) c.close();
  }

  authorize(user: User, attrs: RequestAttributes): Decision {
    let allowedBy: Source | undefined;
    const errors: string[] = [];
    this.visitRulesFor(user, attrs.namespace, (rule, source, err) => {
      if (rule && ruleAllows(attrs, rule)) {
        allowedBy = source;
        return false;
      }
      if (err) errors.push(err);
      return true;
    });
    if (allowedBy) return { allowed: true, reason: `RBAC: allowed by ${allowedBy()}` };
    return { allowed: false, reason: errors.length ? `RBAC: ${aggregateMessage(errors)}` : '' };
  }

  rulesFor(user: User, namespace: string): RulesResult {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (rule, _source, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }

  /**
   * The rules of the role `ref` names, for a binding in `namespace` ('' for a
   * ClusterRoleBinding), or the error kube's listers report when it is missing.
   */
  roleReferenceRules(ref: RoleRef, namespace: string): RoleReference {
    switch (ref.kind) {
      case 'Role': {
        const role = namespace ? this.roles.get(namespace, ref.name) : undefined;
        return role ? { rules: role.rules } : { error: `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`, resource: 'roles' };
      }
      case 'ClusterRole': {
        const role = this.clusterRoles.get('', ref.name);
        return role ? { rules: role.rules } : { error: `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`, resource: 'clusterroles' };
      }
      default:
        return { error: `unsupported role reference kind: ${JSON.stringify(ref.kind)}`, resource: 'roles' };
    }
  }

  /** Every rule that applies to `user` in `namespace`: cluster-wide bindings first, then the namespace's. */
  private visitRulesFor(user: User, namespace: string, visit: Visitor): void {
    for (const b of this.clusterRoleBindings.current('')) {
      const subject = appliesTo(user, b.subjects, '');
      if (!subject) continue;
      const ref = this.roleReferenceRules(b.roleRef, '');
      if ('error' in ref) {
        if (!visit(undefined, undefined, ref.error)) return;
        continue;
      }
      const source = () => `ClusterRoleBinding ${JSON.stringify(b.name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, '')}`;
      for (const rule of ref.rules) if (!visit(rule, source, undefined)) return;
    }
    if (!namespace) return;
    for (const b of this.roleBindings.current(namespace)) {
      const subject = appliesTo(user, b.subjects, namespace);
      if (!subject) continue;
      const ref = this.roleReferenceRules(b.roleRef, namespace);
      if ('error' in ref) {
        if (!visit(undefined, undefined, ref.error)) return;
        continue;
      }
      const source = () => `RoleBinding ${JSON.stringify(`${b.name}/${b.namespace}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, b.namespace)}`;
      for (const rule of ref.rules) if (!visit(rule, source, undefined)) return;
    }
  }
}

/** The first of the binding's subjects that is `user` (or a group of theirs), if any. */
function appliesTo(user: User, subjects: readonly Subject[], namespace: string): Subject | undefined {
  return subjects.find((s) => {
    switch (s.kind) {
      case 'User':
        return user.name === s.name;
      case 'Group':
        return user.groups.includes(s.name);
      case 'ServiceAccount': {
        // A RoleBinding's subject without a namespace means its own namespace.
        const ns = s.namespace || namespace;
        return ns !== '' && user.name === `system:serviceaccount:${ns}:${s.name}`;
      }
      default:
        return false;
    }
  });
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}
