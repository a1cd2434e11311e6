/**
 * Go-style duration flags ("40s", "5m", "1h30m", "250ms"), as Kubernetes components take
 * them. A bare number means seconds.
 */
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]];
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: use a number of seconds or a value like 40s, 5m, 1h30m, 250ms`);
  }
  return Math.round(total);
}
