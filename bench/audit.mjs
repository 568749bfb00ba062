// bench/audit: the cost of the audit log's appends (daemon/src/audit/AuditLog.ts) beside raw
// baselines in the same run, on the same disk (the OS temp dir):
//   - audit: AuditLog.append of a dispatch record (what every admin-API dispatch writes), with
//     C appenders in flight; each append resolves once written and fdatasync'ed; group commit
//     puts the entries that arrive during one write + fdatasync into the next one;
//   - raw: the same bytes with a bare FileHandle.appendFile + datasync per entry, C in flight,
//     no grouping, no HMAC, no JSON: the floor of "durable before the answer" without Palyra;
//   - seal: building and HMAC-ing the entry alone (no I/O): the CPU the chain adds per entry.
// Process CPU (user + system, all threads: fdatasync runs in libuv's pool) and wall time per
// entry, and for the audit log the number of fdatasyncs. Flags: --entries N (default 5000),
// --inflight 1,16,256.
import { execFileSync } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ROOT, cleanupAll, machine, nowMs, parseArgs, round, tempDir, writeResult } from './lib.mjs';

const dist = (path) => import(`${ROOT}daemon/dist/${path}`);

function dispatchRecord(i) {
  return {
    action: 'dispatch',
    actor: { kind: 'token', tokenId: '01JB0000000000000000000BBB', tokenName: 'ci-runner' },
    outcome: 'succeeded',
    node: '01JA0000000000000000000AAA',
    capability: 'fs.read',
    inputSha256: 'a'.repeat(64),
    inputBytes: 120 + (i % 50),
    durationMs: 3 + (i % 7),
    remoteAddress: '10.0.0.7:51234',
    details: { dispatchId: `01JC${String(i).padStart(22, '0')}` },
  };
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs `entries` calls of `fn(i)` with `inFlight` in flight; wall and CPU per entry. */
async function measure(entries, inFlight, fn) {
  let next = 0;
  const c0 = cpuMs();
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < entries) {
        const i = next;
        next += 1;
        await fn(i);
      }
    }),
  );
  const wallMs = nowMs() - t0;
  const cpu = cpuMs() - c0;
  return { entries, inFlight, wallMs: round(wallMs, 1), perSecond: round((entries / wallMs) * 1000, 0), wallUsPerEntry: round((wallMs / entries) * 1000, 1), cpuUsPerEntry: round((cpu / entries) * 1000, 1) };
}

export async function runAudit(opts = {}) {
  const entries = Number(opts.entries ?? 5000);
  const inFlights = String(opts.inflight ?? '1,16,256').split(',').map(Number);
  const { AuditLog } = await dist('audit/AuditLog.js');
  const { boundRecord, sealEntry } = await dist('audit/entryFormat.js');
  const key = randomBytes(32);
  const result = {
    benchmark: 'audit',
    machine: machine(),
    config: { entries, inFlights },
    how: 'in one process on the temp dir: audit = AuditLog.append (HMAC chain, group commit, fdatasync) with C appenders in flight; raw = the same line bytes with a bare FileHandle.appendFile + datasync per entry, C in flight, no grouping; seal = boundRecord + sealEntry alone (no I/O). CPU = process.cpuUsage (all threads) per entry',
    runs: [],
  };
  const lines = Array.from({ length: entries }, (_, i) => sealEntry(key, { seq: i + 1, at: new Date().toISOString(), ...boundRecord(dispatchRecord(i)), prev: '0'.repeat(64) }).line);
  result.lineBytes = Buffer.byteLength(lines[0] ?? '');
  try {
    result.fileSystem = execFileSync('stat', ['-f', '-c', '%T', tmpdir()], { encoding: 'utf8' }).trim();
  } catch {
    result.fileSystem = 'unknown';
  }

  // CPU of the chain alone (after a warm-up: the first calls pay for the JIT).
  {
    let prev = '0'.repeat(64);
    for (let i = 0; i < 2000; i += 1) sealEntry(key, { seq: i + 1, at: new Date().toISOString(), ...boundRecord(dispatchRecord(i)), prev });
    const seal = await measure(entries, 1, async (i) => {
      const sealed = sealEntry(key, { seq: i + 1, at: new Date().toISOString(), ...boundRecord(dispatchRecord(i)), prev });
      prev = sealed.hash;
    });
    result.seal = { cpuUsPerEntry: seal.cpuUsPerEntry };
    console.error(`audit: seal alone ${seal.cpuUsPerEntry} us CPU per entry`);
  }

  // Both sides once, untimed, so that neither pays the other's warm-up.
  {
    const dir = await tempDir('audit-warm');
    const log = await AuditLog.open({ stateDir: dir, key });
    await measure(500, 16, (i) => log.append(dispatchRecord(i)));
    await log.stop();
    const handle = await open(join(dir, 'raw.log'), 'a', 0o600);
    await measure(500, 16, async (i) => {
      await handle.appendFile(lines[i]);
      await handle.datasync();
    });
    await handle.close();
  }

  for (const inFlight of inFlights) {
    const dir = await tempDir('audit');
    // raw: the same bytes, one appendFile + datasync per entry (no grouping).
    const rawFile = join(dir, 'raw.log');
    const handle = await open(rawFile, 'a', 0o600);
    const raw = await measure(entries, inFlight, async (i) => {
      await handle.appendFile(lines[i]);
      await handle.datasync();
    });
    await handle.close();
    await rm(rawFile);

    const log = await AuditLog.open({ stateDir: dir, key });
    const syncs0 = log.syncs;
    const audit = await measure(entries, inFlight, (i) => log.append(dispatchRecord(i)));
    audit.fdatasyncs = log.syncs - syncs0;
    audit.entriesPerSync = round(entries / audit.fdatasyncs, 1);
    await log.stop();
    const run = { inFlight, raw, audit, ratios: { cpu: round(audit.cpuUsPerEntry / raw.cpuUsPerEntry, 2), wall: round(audit.wallUsPerEntry / raw.wallUsPerEntry, 2) } };
    result.runs.push(run);
    console.error(`audit: ${inFlight} in flight: raw ${raw.wallUsPerEntry} us wall / ${raw.cpuUsPerEntry} us CPU per entry; audit ${audit.wallUsPerEntry} us wall / ${audit.cpuUsPerEntry} us CPU (${audit.entriesPerSync} entries per fdatasync)`);
  }
  result.summary = Object.fromEntries(
    result.runs.map((r) => [
      r.inFlight,
      { rawWallUs: r.raw.wallUsPerEntry, rawCpuUs: r.raw.cpuUsPerEntry, auditWallUs: r.audit.wallUsPerEntry, auditCpuUs: r.audit.cpuUsPerEntry, entriesPerSync: r.audit.entriesPerSync, ratios: r.ratios },
    ]),
  );
  result.summary.sealCpuUs = result.seal.cpuUsPerEntry;
  await writeResult('audit', result);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAudit(parseArgs())
    .then((r) => console.log(JSON.stringify(r.summary, null, 2)))
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(cleanupAll);
}
