/** core/v1 events. */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { ResourceType } from '../resource.js';
import { age } from '../duration.js';
import { invalidValue, notSupported, required } from '../validation.js';
import { column, int, str, sub } from './common.js';

/** Kinds whose objects live outside namespaces; their events go to "default" (or no namespace). */
const clusterScopedKinds = new Set(['Node', 'Namespace', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass']);

function validateEvent(ev: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const involved = ev.involvedObject;
  if (typeof involved !== 'object' || involved === null) return [required('involvedObject')];
  const ns = ev.metadata.namespace ?? '';
  const involvedNs = str(involved.namespace);
  if (!involvedNs) {
    if (!clusterScopedKinds.has(str(involved.kind)) && ns !== '' && ns !== 'default') {
      errs.push(invalidValue('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
  } else if (involvedNs !== ns) {
    errs.push(invalidValue('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
  }
  // The newer events API fields are checked only for events that use them (eventTime set).
  if (ev.eventTime) {
    if (!str(ev.reportingComponent)) errs.push(required('reportingComponent'));
    if (!str(ev.reportingInstance)) errs.push(required('reportingInstance'));
    if (!str(ev.action)) errs.push(required('action'));
    if (!['Normal', 'Warning'].includes(str(ev.type))) errs.push(notSupported('type', str(ev.type), ['Normal', 'Warning']));
  }
  return errs;
}

function sourceCell(ev: KubeObject): string {
  const source = sub(ev, 'source');
  const component = str(source.component) || str(ev.reportingComponent);
  const instance = str(source.host) || str(ev.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

export const events: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Event',
  listKind: 'EventList',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  categories: [],
  hasStatus: false,
  ownNameColumn: true,
  defaults: () => {},
  validate: validateEvent,
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    column('Object', 'string', 'The object that this event is about.'),
    column('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', true),
    column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', true),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', true),
    column('Count', 'string', 'The number of times this event has occurred.', true),
    { ...column('Name', 'string', 'Name must be unique within a namespace.', true), format: 'name' },
  ],
  cells(ev, now) {
    const first = ev.firstTimestamp ? age(ev.firstTimestamp, now) : age(ev.eventTime, now);
    let last = ev.lastTimestamp ? age(ev.lastTimestamp, now) : first;
    let count = int(ev.count);
    if (ev.series && typeof ev.series === 'object') {
      last = age(ev.series.lastObservedTime, now);
      count = int(ev.series.count);
    } else if (count === 0) {
      count = 1;
    }
    const involved = sub(ev, 'involvedObject');
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) ? `${kind}/${involved.name}` : kind;
    return [last, str(ev.type), str(ev.reason), target, str(involved.fieldPath), sourceCell(ev), str(ev.message).trim(), first, count, ev.metadata.name ?? ''];
  },
  selectableFields(ev) {
    const involved = sub(ev, 'involvedObject');
    return {
      'involvedObject.kind': str(involved.kind),
      'involvedObject.namespace': str(involved.namespace),
      'involvedObject.name': str(involved.name),
      'involvedObject.uid': str(involved.uid),
      'involvedObject.apiVersion': str(involved.apiVersion),
      'involvedObject.resourceVersion': str(involved.resourceVersion),
      'involvedObject.fieldPath': str(involved.fieldPath),
      reason: str(ev.reason),
      reportingComponent: str(ev.reportingComponent),
      source: str(sub(ev, 'source').component),
      type: str(ev.type),
    };
  },
};
