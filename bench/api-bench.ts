/**
 * The API-level measurements: create throughput with N concurrent keep-alive clients, then
 * single-object GET and LIST latency against what was created.
 */
import { ApiClient, describeFailure } from './api-client.js';
import { BENCH_NAMESPACE, benchPod, benchPodName } from './pod-fixture.js';
import { summarize, type LatencySummary } from './stats.js';

const podsPath = `/api/v1/namespaces/${BENCH_NAMESPACE}/pods`;
const podsIn = (namespace: string) => `/api/v1/namespaces/${namespace}/pods`;

export type Progress = (line: string) => void;

export interface CreateResult {
  attempted: number;
  created: number;
  failed: number;
  firstFailure?: string;
  perSec: number;
  seconds: number;
  latency: LatencySummary;
  /** Indexes of the pods that were created, for the read benchmarks. */
  createdIndexes: number[];
}

/**
 * POSTs `count` pods (to the bench namespace unless `namespace` says otherwise) with
 * `concurrency` requests in flight; failures are counted, not thrown. Every benchmark here
 * stops early, with what it has, once `signal` is aborted.
 */
export async function benchCreates(
  client: ApiClient,
  count: number,
  concurrency: number,
  progress: Progress,
  signal?: AbortSignal,
  namespace = BENCH_NAMESPACE,
): Promise<CreateResult> {
  const latencies: number[] = [];
  const createdIndexes: number[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  let next = 0;
  let done = 0;
  // Serialised before the clock starts: the load generator's own JSON work is not what is measured.
  const bodies = Array.from({ length: count }, (_, i) => Buffer.from(JSON.stringify(benchPod(i, namespace))));
  const path = podsIn(namespace);
  const step = Math.max(1, Math.floor(count / 10));
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < count && !signal?.aborted; i = next++) {
      const t = performance.now();
      let failure: string | undefined;
      try {
        const res = await client.request('POST', path, bodies[i]);
        if (res.status === 201) createdIndexes.push(i);
        else failure = describeFailure(res);
      } catch (err) {
        failure = (err as Error).message;
      }
      latencies.push(performance.now() - t);
      if (failure !== undefined) {
        failed++;
        firstFailure ??= failure;
      }
      if (++done % step === 0) {
        const s = (performance.now() - t0) / 1000;
        progress(`  created ${done}/${count} (${Math.round(done / s)}/s${failed ? `, ${failed} failed` : ''})`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  createdIndexes.sort((a, b) => a - b);
  return {
    attempted: count,
    created: createdIndexes.length,
    failed,
    firstFailure,
    // Only successful creates count: an error answered quickly is not throughput.
    perSec: createdIndexes.length / seconds,
    seconds,
    latency: summarize(latencies),
    createdIndexes,
  };
}

export interface GetResult {
  latency: LatencySummary;
  failed: number;
  firstFailure?: string;
}

/** `count` sequential GETs of pods picked at random from `indexes`. */
export async function benchGets(client: ApiClient, indexes: readonly number[], count: number, signal?: AbortSignal): Promise<GetResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  for (let k = 0; k < count && !signal?.aborted; k++) {
    const i = indexes[Math.floor(Math.random() * indexes.length)];
    const t = performance.now();
    const res = await client.request('GET', `${podsPath}/${benchPodName(i)}`);
    latencies.push(performance.now() - t);
    if (res.status !== 200) {
      failed++;
      firstFailure ??= describeFailure(res);
    }
  }
  return { latency: summarize(latencies), failed, firstFailure };
}

export interface ListResult {
  latency: LatencySummary;
  /** Items per full list (or per walk of all pages); should equal the number of pods stored. */
  itemCounts: number[];
  bodyBytes: number;
  failed: number;
  firstFailure?: string;
}

interface PodList {
  metadata?: { continue?: string; resourceVersion?: string };
  items?: unknown[];
}

/** `repeats` sequential unpaged LISTs of every pod in the namespace. */
export async function benchFullLists(client: ApiClient, repeats: number, progress: Progress, signal?: AbortSignal): Promise<ListResult> {
  const latencies: number[] = [];
  const itemCounts: number[] = [];
  let bodyBytes = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  for (let k = 0; k < repeats && !signal?.aborted; k++) {
    const t = performance.now();
    const res = await client.request('GET', podsPath);
    latencies.push(performance.now() - t);
    if (res.status !== 200) {
      failed++;
      firstFailure ??= describeFailure(res);
      continue;
    }
    // Parsed outside the timed window: the latency is the server's, not our JSON.parse.
    bodyBytes = res.body.length;
    itemCounts.push((JSON.parse(res.body.toString('utf8')) as PodList).items?.length ?? 0);
    progress(`  full list ${k + 1}/${repeats}: ${latencies[k].toFixed(0)} ms, ${itemCounts[itemCounts.length - 1]} items, ${(bodyBytes / 1e6).toFixed(1)} MB`);
  }
  return { latency: summarize(latencies), itemCounts, bodyBytes, failed, firstFailure };
}

/** `walks` sequential walks through the collection, `limit` items per page; latency is per page. */
export async function benchPagedLists(client: ApiClient, limit: number, walks: number, signal?: AbortSignal): Promise<ListResult> {
  const latencies: number[] = [];
  const itemCounts: number[] = [];
  let bodyBytes = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  for (let w = 0; w < walks && !signal?.aborted; w++) {
    let cont: string | undefined;
    let items = 0;
    let pages = 0;
    do {
      const q = `limit=${limit}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
      const t = performance.now();
      const res = await client.request('GET', `${podsPath}?${q}`);
      latencies.push(performance.now() - t);
      if (res.status !== 200) {
        failed++;
        firstFailure ??= describeFailure(res);
        break;
      }
      bodyBytes = Math.max(bodyBytes, res.body.length);
      const page = JSON.parse(res.body.toString('utf8')) as PodList;
      items += page.items?.length ?? 0;
      cont = page.metadata?.continue || undefined;
      // A server that keeps handing out continue tokens would loop forever; a walk cannot need more.
      if (++pages > 100_000) throw new Error('paged list did not end after 100,000 pages');
    } while (cont && !signal?.aborted);
    itemCounts.push(items);
  }
  return { latency: summarize(latencies), itemCounts, bodyBytes, failed, firstFailure };
}

/**
 * The HTTPS ceiling of this machine and client: GET /version (no store, no JSON work) with the
 * same keep-alive clients. Creates can only approach this rate; it puts their figure in context.
 */
export async function benchNoop(client: ApiClient, count: number, concurrency: number, signal?: AbortSignal): Promise<number> {
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < count && !signal?.aborted; i = next++) {
      const res = await client.request('GET', '/version');
      if (res.status === 200) ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ok / ((performance.now() - t0) / 1000);
}
