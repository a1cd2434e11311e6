/**
 * What /proc says about the benchmark's processes and the machine: memory and CPU time of a
 * process, CPU time of one of its threads, and how busy all the machine's CPUs were.
 */
import { readFileSync } from 'node:fs';

/** VmRSS and VmHWM of a process, in bytes (NaN once it is gone). */
export function procMemory(pid: number): { rss: number; peak: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: NaN, peak: NaN };
  }
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** USER_HZ, the unit of the CPU times in /proc: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SEC = 100;

function statCpuMs(path: string): number {
  let stat: string;
  try {
    stat = readFileSync(path, 'utf8');
  } catch {
    return NaN;
  }
  // Fields after the ")" that closes the command name start at field 3 (state); utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}

/** User + system CPU time of a process (all its threads), in milliseconds (NaN once it is gone). */
export function procCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * User + system CPU time of a process's main thread alone, in milliseconds: for Node, the
 * event loop that serves requests, as opposed to worker threads, GC helpers and libuv's pool.
 */
export function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

/** CPU time of the whole machine so far, every CPU summed, in milliseconds: busy and in all; and how many CPUs. */
export function machineCpuMs(): { busy: number; total: number; cpus: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  // cpu user nice system idle iowait irq softirq steal guest guest_nice; guests are in user already.
  const t = lines[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = t.reduce((a, b) => a + b, 0);
  const idle = t[3]! + t[4]!;
  const ms = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SEC;
  return { busy: ms(total - idle), total: ms(total), cpus: lines.filter((l) => /^cpu\d/.test(l)).length };
}
