// bench/schema-worker: what moving node-supplied schemas into the daemon's schema worker
// costs and saves. (a) The longest stall of the main event loop while a 1,202-keyword
// schema compiles, inline (compileUntrustedSchema on the main thread, as before) and through
// the SchemaWorker (perf_hooks event-loop delay, 1 ms resolution). (b) The round trip of one
// input check of a small input, inline and through the worker, sequential and 100 at once.
// Run after `npx tsc -b`: node bench/schema-worker.mjs
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { compileUntrustedSchema } from '@palyra/shared/schema';
import { SchemaWorker } from '../daemon/dist/dispatch/SchemaWorker.js';

/** 400 string properties with three keywords each: 1,202 keywords, all allowed. */
function heavySchema(seed) {
  const properties = {};
  for (let i = 0; i < 400; i += 1) properties[`p${seed}_${i}`] = { type: 'string', minLength: 1, maxLength: 64 + seed };
  return { type: 'object', properties };
}

async function stallDuring(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // Let the monitor take a sample before and after the work.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  await work();
  const elapsed = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 20));
  histogram.disable();
  return { maxLoopDelayMs: Math.round(histogram.max / 1e5) / 10, elapsedMs: Math.round(elapsed * 10) / 10 };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const worker = new SchemaWorker();
worker.start();
// Warm both paths (ajv loaded, thread up).
compileUntrustedSchema(heavySchema(0), 'warm-up');
await worker.acquire(JSON.stringify(heavySchema(1)), 'warm-up');

const inline = [];
const viaWorker = [];
const idle = [];
for (let round = 0; round < 5; round += 1) {
  // The noise floor: the same measure while the main thread only waits (other processes share the CPU).
  idle.push(await stallDuring(() => new Promise((resolve) => setTimeout(resolve, 200))));
  // Built before the measure: the daemon receives the text; the inline path parsed it.
  const schema = heavySchema(10 + round);
  const text = JSON.stringify(heavySchema(20 + round));
  inline.push(await stallDuring(async () => compileUntrustedSchema(schema, 'inline')));
  viaWorker.push(await stallDuring(() => worker.acquire(text, 'via worker')));
}
console.log('compile of a 1,202-keyword schema, main-thread stall (max event-loop delay) / elapsed, ms:');
console.log('  inline    :', inline.map((r) => `${r.maxLoopDelayMs}/${r.elapsedMs}`).join('  '));
console.log('  via worker:', viaWorker.map((r) => `${r.maxLoopDelayMs}/${r.elapsedMs}`).join('  '));
console.log('  idle 200 ms (noise floor):', idle.map((r) => `${r.maxLoopDelayMs}/${r.elapsedMs}`).join('  '));

const small = { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', maxLength: 10 } } };
const validateInline = compileUntrustedSchema(small, 'inline');
const validateViaWorker = await worker.acquire(JSON.stringify(small), 'via worker');
const input = { text: 'hi' };
const samples = 2000;
const inlineUs = [];
const workerUs = [];
for (let i = 0; i < samples; i += 1) {
  let t = performance.now();
  validateInline(JSON.parse(JSON.stringify(input)));
  inlineUs.push((performance.now() - t) * 1000);
  t = performance.now();
  await validateViaWorker(JSON.stringify(input));
  workerUs.push((performance.now() - t) * 1000);
}
let t = performance.now();
const batch = 20_000;
for (let i = 0; i < batch / 100; i += 1) await Promise.all(Array.from({ length: 100 }, () => validateViaWorker(JSON.stringify(input))));
const perSecond = Math.round(batch / ((performance.now() - t) / 1000));
console.log(`input check of a small input, median of ${samples}, µs: inline ${median(inlineUs).toFixed(1)}, via worker ${median(workerUs).toFixed(1)}`);
console.log(`input checks via worker with 100 at once: ${perSecond}/s`);
await worker.stop();
