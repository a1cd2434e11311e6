#!/usr/bin/env node
// Generates src/apiserver/protobuf/schema.ts: the field tables the Kubernetes protobuf decoder
// needs, for every message reachable from the kinds peapod accepts as protobuf request bodies.
//
// Inputs are not kept in this repository. They are the Go packages of kubernetes/api and
// kubernetes/apimachinery (each package directory holds its `generated.proto` and the Go
// `types.go` files it was generated from), laid out by Go import path under one directory:
//
//   <dir>/k8s.io/api/{core,apps,coordination,autoscaling,policy,authentication,authorization,rbac}/v1/{generated.proto,*.go}
//   <dir>/k8s.io/apimachinery/pkg/{apis/meta/v1,api/resource,util/intstr,runtime,runtime/schema}/…
//
// e.g. copy those directories out of checkouts of github.com/kubernetes/api and
// github.com/kubernetes/apimachinery (any recent release; fields are only ever added).
// Fields whose values are "masked" string lists (a proto message wrapping `repeated string`, a
// plain []string in Go, with no struct to take JSON names from) are left out: see SKIPPED.
//
// Why the Go sources too: the .proto files give field numbers and wire types, but the JSON
// shape is decided by the Go struct tags. The Go protobuf marshallers always write value
// (non-pointer) scalar fields, even when zero, while encoding/json drops them when tagged
// `omitempty`; and a few fields are embedded (`json:",inline"`) so their members sit in the
// parent JSON object. Both facts come only from the Go tags.
//
// Usage: node scripts/gen-proto-schema.mjs <dir> [out.ts]
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The request kinds we decode: [apiVersion, kind, proto message]. '*' accepts any apiVersion. */
const ROOTS = [
  ['v1', 'Namespace', 'k8s.io.api.core.v1.Namespace'],
  ['v1', 'Node', 'k8s.io.api.core.v1.Node'],
  ['v1', 'Pod', 'k8s.io.api.core.v1.Pod'],
  ['v1', 'Service', 'k8s.io.api.core.v1.Service'],
  ['v1', 'Endpoints', 'k8s.io.api.core.v1.Endpoints'],
  ['v1', 'Event', 'k8s.io.api.core.v1.Event'],
  ['v1', 'ReplicationController', 'k8s.io.api.core.v1.ReplicationController'],
  ['v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap'],
  ['v1', 'Secret', 'k8s.io.api.core.v1.Secret'],
  ['v1', 'ServiceAccount', 'k8s.io.api.core.v1.ServiceAccount'],
  ['v1', 'ResourceQuota', 'k8s.io.api.core.v1.ResourceQuota'],
  ['v1', 'LimitRange', 'k8s.io.api.core.v1.LimitRange'],
  ['v1', 'Binding', 'k8s.io.api.core.v1.Binding'],
  ['apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment'],
  ['apps/v1', 'ReplicaSet', 'k8s.io.api.apps.v1.ReplicaSet'],
  ['coordination.k8s.io/v1', 'Lease', 'k8s.io.api.coordination.v1.Lease'],
  ['autoscaling/v1', 'Scale', 'k8s.io.api.autoscaling.v1.Scale'],
  ['policy/v1', 'Eviction', 'k8s.io.api.policy.v1.Eviction'],
  ['policy/v1', 'PodDisruptionBudget', 'k8s.io.api.policy.v1.PodDisruptionBudget'],
  ['rbac.authorization.k8s.io/v1', 'Role', 'k8s.io.api.rbac.v1.Role'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'k8s.io.api.rbac.v1.ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'k8s.io.api.rbac.v1.RoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'k8s.io.api.rbac.v1.ClusterRoleBinding'],
  ['authentication.k8s.io/v1', 'TokenRequest', 'k8s.io.api.authentication.v1.TokenRequest'],
  ['authentication.k8s.io/v1', 'SelfSubjectReview', 'k8s.io.api.authentication.v1.SelfSubjectReview'],
  ['authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'k8s.io.api.authorization.v1.SelfSubjectAccessReview'],
  ['authorization.k8s.io/v1', 'SelfSubjectRulesReview', 'k8s.io.api.authorization.v1.SelfSubjectRulesReview'],
  ['authorization.k8s.io/v1', 'SubjectAccessReview', 'k8s.io.api.authorization.v1.SubjectAccessReview'],
  ['authorization.k8s.io/v1', 'LocalSubjectAccessReview', 'k8s.io.api.authorization.v1.LocalSubjectAccessReview'],
  ['authentication.k8s.io/v1', 'TokenReview', 'k8s.io.api.authentication.v1.TokenReview'],
  // DeleteOptions and Status are registered in every group version.
  ['*', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
  ['*', 'Status', 'k8s.io.apimachinery.pkg.apis.meta.v1.Status'],
];

/** Messages whose JSON form is not an object of their fields; the decoder converts them by name. */
const SPECIAL = new Set([
  'meta.v1.Time',
  'meta.v1.MicroTime',
  'meta.v1.Duration',
  'meta.v1.FieldsV1',
  'resource.Quantity',
  'intstr.IntOrString',
  'runtime.RawExtension',
]);

/**
 * Fields not decoded (the decoder skips fields it has no entry for, as JSON decoding drops
 * unknown ones): the masked string-list maps. UserInfo's extra is in a review's status
 * (answered, never read); attestations is newer than v1.32; a SubjectAccessReview sent as
 * protobuf is asked without its user's extra (JSON carries it).
 */
const SKIPPED = new Set([
  'k8s.io.api.authentication.v1.UserInfo.extra',
  'k8s.io.api.authentication.v1.TokenRequestSpec.attestations',
  'k8s.io.api.authorization.v1.SubjectAccessReviewSpec.extra',
]);

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);

/** "k8s.io.api.core.v1.Pod" → "core.v1.Pod"; "k8s.io.apimachinery.pkg.apis.meta.v1.Time" → "meta.v1.Time". */
function short(full) {
  return full.replace(/^k8s\.io\.api\./, '').replace(/^k8s\.io\.apimachinery\.pkg\.(apis\.|api\.|util\.)?/, '');
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

/** Parses one generated.proto into { pkg, messages: Map<fullName, Field[]> }. */
function parseProto(src) {
  const text = stripComments(src);
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
  if (!pkg) throw new Error('proto file without a package');
  const messages = new Map();
  const msgRe = /message\s+(\w+)\s*\{([^{}]*)\}/g;
  for (let m; (m = msgRe.exec(text)); ) {
    const fields = [];
    for (const line of m[2].split(';')) {
      const s = line.trim();
      if (!s) continue;
      let f = /^map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)$/.exec(s);
      if (f) {
        if (f[1] !== 'string') throw new Error(`${pkg}.${m[1]}: map key ${f[1]} not supported`);
        fields.push({ name: f[3], number: +f[4], type: f[2], label: 'map' });
        continue;
      }
      f = /^(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)$/.exec(s);
      if (!f) throw new Error(`${pkg}.${m[1]}: cannot parse field "${s}"`);
      fields.push({ name: f[3], number: +f[4], type: f[2], label: f[1] === 'repeated' ? 'repeated' : 'optional' });
    }
    messages.set(`${pkg}.${m[1]}`, fields);
  }
  return { pkg, messages };
}

/**
 * Reads the struct tags of one Go package: Map<structName, Map<fieldNumber, GoField>>, where
 * GoField is { json, omitEmpty, pointer }.
 */
function parseGoStructs(sources) {
  const structs = new Map();
  for (const src of sources) {
    const re = /^type\s+(\w+)\s+struct\s*\{\n([\s\S]*?)^\}/gm;
    for (let m; (m = re.exec(src)); ) {
      const fields = new Map();
      for (const raw of m[2].split('\n')) {
        const line = raw.trim();
        if (line.startsWith('//')) continue;
        // "Name Type `tags`" or, for an embedded struct, "Type `tags`".
        const f = /^(?:(\w+)\s+)?(\S+)\s+`([^`]*)`/.exec(line);
        if (!f) continue;
        const pb = /protobuf:"(\w+),(\d+),/.exec(f[3]);
        if (!pb) continue;
        const json = /json:"([^"]*)"/.exec(f[3])?.[1];
        const [jsonName, ...opts] = (json ?? '').split(',');
        fields.set(+pb[2], {
          json: f[1] === undefined && jsonName === '' ? '' : jsonName || f[1] || f[2],
          inline: f[1] === undefined && jsonName === '',
          omitEmpty: opts.includes('omitempty'),
          pointer: f[2].startsWith('*'),
        });
      }
      structs.set(m[1], fields);
    }
  }
  return structs;
}

function main() {
  const [dir, out = 'src/apiserver/protobuf/schema.ts'] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node scripts/gen-proto-schema.mjs <dir with k8s.io/...> [out.ts]');
    process.exit(2);
  }

  const protoMessages = new Map(); // full name → fields
  const goFields = new Map(); // full name → Map<number, GoField>
  for (const file of walk(dir).filter((p) => p.endsWith('generated.proto'))) {
    const { pkg, messages } = parseProto(readFileSync(file, 'utf8'));
    const pkgDir = file.slice(0, -'generated.proto'.length);
    const goSources = readdirSync(pkgDir)
      .filter((n) => n.endsWith('.go') && !n.endsWith('_test.go') && n !== 'generated.pb.go')
      .map((n) => readFileSync(join(pkgDir, n), 'utf8'));
    const structs = parseGoStructs(goSources);
    for (const [name, fields] of messages) {
      protoMessages.set(name, { pkg, fields });
      const goName = name.slice(pkg.length + 1);
      if (structs.has(goName)) goFields.set(name, structs.get(goName));
    }
    console.error(`read ${relative(dir, file)}: ${messages.size} messages, ${structs.size} Go structs`);
  }

  // Resolve a field's type as written in package `pkg` to a full message name or a scalar.
  const resolve = (pkg, type) => {
    if (SCALARS.has(type)) return type;
    const full = type.startsWith('.') ? type.slice(1) : `${pkg}.${type}`;
    if (!protoMessages.has(full)) throw new Error(`unknown message type ${type} in ${pkg}`);
    return full;
  };

  const result = new Map(); // short name → field entries
  const queue = ROOTS.map((r) => r[2]);
  const notes = [];
  while (queue.length) {
    const full = queue.shift();
    const name = short(full);
    if (result.has(name)) continue;
    if (SPECIAL.has(name)) {
      result.set(name, null);
      continue;
    }
    const msg = protoMessages.get(full);
    if (!msg) throw new Error(`message ${full} not found under ${dir}`);
    const go = goFields.get(full);
    if (!go) throw new Error(`no Go struct for ${full}; the Go sources decide JSON names`);
    const entries = [];
    for (const f of [...msg.fields].sort((a, b) => a.number - b.number)) {
      if (SKIPPED.has(`${full}.${f.name}`)) continue;
      const type = resolve(msg.pkg, f.type);
      const g = go.get(f.number);
      if (!g) throw new Error(`${full}.${f.name} (${f.number}) has no Go field`);
      if (!g.inline && g.json !== f.name) notes.push(`${name}.${f.name}: JSON name is "${g.json}"`);
      if (g.inline) notes.push(`${name}.${f.name}: inlined into the parent JSON object`);
      const entry = { n: f.number, json: g.json, type: SCALARS.has(type) ? type : short(type) };
      if (f.label !== 'optional') entry[f.label] = true;
      // Only value scalars are written when zero; omitempty then means "absent in JSON".
      if (f.label === 'optional' && SCALARS.has(type) && g.omitEmpty && !g.pointer) entry.omitEmpty = true;
      entries.push(entry);
      if (!SCALARS.has(type)) queue.push(type);
    }
    result.set(name, entries);
  }

  const lines = [];
  lines.push('// Generated by scripts/gen-proto-schema.mjs from the Kubernetes generated.proto files and Go');
  lines.push('// struct tags (k8s.io/api, k8s.io/apimachinery). Do not edit by hand; rerun the script.');
  lines.push('// Facts only: field number → JSON name and wire kind for each message the decoder reaches.');
  lines.push("import type { MessageSchema, RootKind } from './types.js';");
  lines.push('');
  lines.push('/** Request kinds accepted as protobuf; apiVersion "*" matches every group version. */');
  lines.push('export const roots: readonly RootKind[] = [');
  for (const [apiVersion, kind, full] of ROOTS) {
    lines.push(`  { apiVersion: '${apiVersion}', kind: '${kind}', message: '${short(full)}' },`);
  }
  lines.push('];');
  lines.push('');
  lines.push('/** Special messages (null here) have hand-written JSON conversions in decode.ts. */');
  lines.push('export const messages: Readonly<Record<string, MessageSchema | null>> = {');
  for (const name of [...result.keys()].sort()) {
    const entries = result.get(name);
    if (entries === null) {
      lines.push(`  '${name}': null,`);
      continue;
    }
    lines.push(`  '${name}': [`);
    for (const e of entries) {
      const extra = ['repeated', 'map', 'omitEmpty'].filter((k) => e[k]).map((k) => `, ${k}: true`).join('');
      lines.push(`    { n: ${e.n}, json: '${e.json}', type: '${e.type}'${extra} },`);
    }
    lines.push('  ],');
  }
  lines.push('};');
  writeFileSync(out, lines.join('\n') + '\n');
  for (const n of notes) console.error(`note: ${n}`);
  console.error(`wrote ${out}: ${result.size} messages`);
}

main();
