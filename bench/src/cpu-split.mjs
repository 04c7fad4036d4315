// node src/cpu-split.mjs [seconds per line, default 5]: beside a running bench, prints the cores each
// kind of process used over each interval, from /proc (Linux): Postgres (every backend, the postmaster
// and its helpers), the API and worker processes the scenarios start, the bench process itself (which
// runs the baselines), and the rest. It is how docs/performance.md splits a scenario's CPU per job
// between Postgres, the workers and the API. Stop it with Ctrl-C.
import { readdirSync, readFileSync } from 'node:fs';

const INTERVAL_S = Number(process.argv[2] ?? 5);
const TICKS_PER_SECOND = 100;

function kindOf(commandLine) {
  if (commandLine.includes('postgres')) return 'postgres';
  if (commandLine.includes('apps/worker/')) return 'worker';
  if (commandLine.includes('apps/api/')) return 'api';
  if (commandLine.includes('src/run.mjs')) return 'bench';
  return 'other';
}

/** CPU ticks (user + system) of every live process, with its kind. */
function snapshot() {
  const processes = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      processes.set(pid, { kind: kindOf(commandLine), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return processes;
}

let previous = snapshot();
let cores = new Map();
let seconds = 0;
setInterval(() => {
  const current = snapshot();
  for (const [pid, { kind, ticks }] of current) {
    const used = (ticks - (previous.get(pid)?.ticks ?? 0)) / TICKS_PER_SECOND;
    cores.set(kind, (cores.get(kind) ?? 0) + used);
  }
  previous = current;
  if (++seconds % INTERVAL_S !== 0) return;
  const line = [...cores]
    .filter(([, used]) => used / INTERVAL_S >= 0.01)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, used]) => `${kind}=${(used / INTERVAL_S).toFixed(2)}`);
  console.log(new Date().toISOString().slice(11, 19), line.join(' '));
  cores = new Map();
}, 1000);
