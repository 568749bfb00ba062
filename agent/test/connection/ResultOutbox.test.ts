/**
 * The agent's result outbox on real files in a temp state dir: what is written when a result
 * cannot be delivered, what a restarted agent finds, what an ack removes, and the bounds.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchResult, MAX_RESULT_BYTES } from '../../src/connection/dispatchResult.js';
import { ResultOutbox } from '../../src/connection/ResultOutbox.js';
import { CapturingLogger } from '../plugins/helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-outbox-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const DEVICE = '01JTESTDEVICE0000000000000';

const fileOf = (dir: string, id: string): string => join(dir, 'outbox', `${createHash('sha256').update(id).digest('hex')}.json`);

/** The results a session receives on attach, once the reads from disk are done. */
async function attachAndCollect(outbox: ResultOutbox): Promise<NodeMessage['result'][]> {
  const sent: NodeMessage['result'][] = [];
  outbox.attach((message) => sent.push(message.result));
  await outbox.settled();
  return sent;
}

describe('ResultOutbox', () => {
  it('writes a result it cannot deliver (0600 in a 0700 dir), finds it again after a restart, and removes it on the ack', async () => {
    const dir = await stateDir();
    const logger = new CapturingLogger();
    const outbox = await ResultOutbox.open(dir, { deviceId: DEVICE, logger });
    outbox.add(dispatchResult('d-1', 'succeeded', { answer: 42 }));
    outbox.add(dispatchResult('d-2', 'failed', undefined, new PalyraError('PALYRA_E_SHELL_EXIT', 'exit 3\nwith "quotes"', { details: { exitCode: 3 } })));
    await outbox.settled();
    expect((await stat(join(dir, 'outbox'))).mode & 0o777).toBe(0o700);
    expect((await stat(fileOf(dir, 'd-1'))).mode & 0o777).toBe(0o600);

    // A new agent on the same state dir.
    const again = await ResultOutbox.open(dir, { deviceId: DEVICE, logger });
    expect(again.ids).toEqual(['d-1', 'd-2']);
    const sent = await attachAndCollect(again);
    expect(sent).toEqual([
      { dispatchId: 'd-1', status: 'succeeded', outputJson: '{"answer":42}', error: null },
      { dispatchId: 'd-2', status: 'failed', outputJson: '', error: { code: 'PALYRA_E_SHELL_EXIT', message: 'exit 3\nwith "quotes"', detailsJson: '{"exitCode":3}' } },
    ]);
    again.ack('d-1');
    await again.settled();
    await expect(stat(fileOf(dir, 'd-1'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(join(dir, 'outbox'))).toHaveLength(1);
    expect(logger.lines).toEqual([]);
  });

  it('keeps a result sent on a session in memory until its ack; the session ending unacknowledged writes it', async () => {
    const dir = await stateDir();
    const outbox = await ResultOutbox.open(dir, { deviceId: DEVICE, logger: new CapturingLogger() });
    const sent: NodeMessage[] = [];
    outbox.attach((message) => sent.push(message));
    outbox.add(dispatchResult('acked', 'succeeded', 1));
    outbox.add(dispatchResult('lost', 'succeeded', 2));
    expect(sent.map((m) => m.result?.dispatchId)).toEqual(['acked', 'lost']);
    outbox.ack('acked');
    outbox.detach();
    await outbox.settled();
    expect(await readdir(join(dir, 'outbox'))).toEqual([`${createHash('sha256').update('lost').digest('hex')}.json`]);
    expect(outbox.ids).toEqual(['lost']);
  });

  it('an ack that overtakes the write of its result still leaves no file', async () => {
    const dir = await stateDir();
    const outbox = await ResultOutbox.open(dir, { deviceId: DEVICE, logger: new CapturingLogger() });
    outbox.add(dispatchResult('quick', 'succeeded', 1)); // no session: the write starts
    outbox.ack('quick');
    await outbox.settled();
    expect(await readdir(join(dir, 'outbox'))).toEqual([]);
  });

  it('drops the oldest results past its count and byte bounds, with a log line each, files included', async () => {
    const dir = await stateDir();
    const logger = new CapturingLogger();
    const outbox = await ResultOutbox.open(dir, { deviceId: DEVICE, logger, limits: { maxResults: 3, maxBytes: 64 * 1024 * 1024 } });
    for (const id of ['a', 'b', 'c', 'd', 'e']) outbox.add(dispatchResult(id, 'succeeded', id));
    await outbox.settled();
    expect(outbox.ids).toEqual(['c', 'd', 'e']);
    expect((await readdir(join(dir, 'outbox'))).sort()).toEqual(['c', 'd', 'e'].map((id) => `${createHash('sha256').update(id).digest('hex')}.json`).sort());
    expect(logger.lines.map((l) => [l.level, l.fields.dispatchId])).toEqual([
      ['warn', 'a'],
      ['warn', 'b'],
    ]);
    expect(logger.lines[0]?.message).toMatch(/outbox is full.*unknown/);

    const bytes = await ResultOutbox.open(await stateDir(), { deviceId: DEVICE, logger, limits: { maxResults: 1_000, maxBytes: 3_000 } });
    for (const id of ['x', 'y', 'z']) bytes.add(dispatchResult(id, 'succeeded', 'p'.repeat(1_200)));
    await bytes.settled();
    expect(bytes.ids).toEqual(['y', 'z']);

    // Bounds lowered between runs: the next start drops the oldest too.
    const reopened = await ResultOutbox.open(dir, { deviceId: DEVICE, logger, limits: { maxResults: 1, maxBytes: 64 * 1024 * 1024 } });
    expect(reopened.ids).toEqual(['e']);
    expect(await readdir(join(dir, 'outbox'))).toHaveLength(1);
  });

  it('removes what it cannot deliver at start (a torn temp file, a file not in its format), with a log line for the latter', async () => {
    const dir = await stateDir();
    const logger = new CapturingLogger();
    const outbox = await ResultOutbox.open(dir, { deviceId: DEVICE, logger });
    outbox.add(dispatchResult('kept', 'succeeded', true));
    await outbox.settled();
    const bogus = join(dir, 'outbox', `${'0'.repeat(64)}.json`);
    await writeFile(bogus, 'not an outbox file', { mode: 0o600 });
    const temp = join(dir, 'outbox', `.${'1'.repeat(64)}.json.abcdef.tmp`);
    await writeFile(temp, '{"version":1', { mode: 0o600 });
    const again = await ResultOutbox.open(dir, { deviceId: DEVICE, logger });
    expect(again.ids).toEqual(['kept']);
    expect(await readdir(join(dir, 'outbox'))).toEqual([`${createHash('sha256').update('kept').digest('hex')}.json`]);
    expect(logger.lines.map((l) => l.message)).toEqual(['removed a held result that is not in the outbox format']);
  });

  it('removes, at start, results held for an earlier identity of the node (it left and joined again): they are not the new daemon\'s to see', async () => {
    const dir = await stateDir();
    const logger = new CapturingLogger();
    const old = await ResultOutbox.open(dir, { deviceId: '01JOLDDEVICE00000000000000', logger });
    old.add(dispatchResult('secret-output', 'succeeded', { stdout: 'what the old daemon asked for' }));
    await old.settled();
    const fresh = await ResultOutbox.open(dir, { deviceId: DEVICE, logger });
    expect(fresh.ids).toEqual([]);
    expect(await readdir(join(dir, 'outbox'))).toEqual([]);
    expect(logger.lines.map((l) => [l.level, l.fields.dispatchId])).toEqual([['warn', 'secret-output']]);
  });

  it('a result larger than the wire allows becomes a failed LIMIT_EXCEEDED result (it would otherwise be refused on every session)', async () => {
    const result = dispatchResult('big', 'succeeded', 'x'.repeat(MAX_RESULT_BYTES));
    expect(result).toMatchObject({ dispatchId: 'big', status: 'failed', outputJson: '', error: { code: 'PALYRA_E_LIMIT_EXCEEDED' } });
    const dir = await stateDir();
    const outbox = await ResultOutbox.open(dir, { deviceId: DEVICE, logger: new CapturingLogger() });
    outbox.add(result);
    await outbox.settled();
    expect((await readFile(fileOf(dir, 'big'))).length).toBeLessThan(1024);
  });
});
