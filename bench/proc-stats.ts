/** What Linux reports about a live process, read from /proc: memory in MB, CPU in seconds. */
import fs from 'node:fs';

/** Linux's USER_HZ, the unit of the CPU times in /proc/<pid>/stat, on every mainstream platform. */
const CLOCK_TICKS_PER_SECOND = 100;

function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(
    fs.readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Peak resident set (VmHWM) so far. */
export function peakRssMb(pid: number): number {
  return statusField(pid, 'VmHWM');
}

/** Resident set now (VmRSS). */
export function rssMb(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** User + system CPU seconds used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
