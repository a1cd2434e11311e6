/** Time as a dependency, so tests can step it instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn after ms; the returned function cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

let lastSecond = NaN;
let lastText = '';

/** RFC 3339 with second precision, the way Kubernetes writes metav1.Time. */
export function rfc3339(ms: number): string {
  // Every write stamps the current second, many times over; format each second once.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastText;
}
