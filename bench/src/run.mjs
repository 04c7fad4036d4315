#!/usr/bin/env node
// pnpm bench [scenario...]: runs the scenarios, prints a table for each, writes JSON to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cancelScenario } from './cancel.mjs';
import { latencyScenario } from './latency.mjs';
import { liveScenario } from './live.mjs';
import { queueScenario } from './queue.mjs';
import { scaleScenario } from './scale.mjs';
import { slotsScenario } from './slots.mjs';
import { soakScenario } from './soak.mjs';
import { statusScenario } from './status.mjs';
import { throughputScenario } from './throughput.mjs';

const scenarios = {
  queue: queueScenario,
  live: liveScenario,
  cancel: cancelScenario,
  status: statusScenario,
  latency: latencyScenario,
  throughput: throughputScenario,
  slots: slotsScenario,
  scale: scaleScenario,
  soak: soakScenario,
};
// soak runs 10 minutes (SOAK_SECONDS): only when named.
const byDefault = Object.keys(scenarios).filter((name) => name !== 'soak');
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : byDefault;
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');
mkdirSync(resultsDir, { recursive: true });
const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
};

for (const name of wanted) {
  const scenario = scenarios[name];
  if (!scenario) {
    console.error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== ${name}`);
  const result = await scenario();
  for (const [section, value] of Object.entries(result)) {
    console.log(`\n-- ${section}`);
    if (Array.isArray(value)) {
      console.table(value);
    } else if (Array.isArray(value.probes)) {
      console.table(value.probes);
      const { probes: _probes, ...summary } = value;
      console.table([summary]);
    } else {
      console.table([value]);
    }
  }
  writeFileSync(
    path.join(resultsDir, `${name}.json`),
    JSON.stringify({ scenario: name, at: new Date().toISOString(), machine, result }, null, 2),
  );
}
