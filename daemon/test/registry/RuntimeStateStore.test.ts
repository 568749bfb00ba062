import * as fsp from 'node:fs/promises';
import path from 'node:path';
import type { PalyraError } from '@palyra/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeStateStore, emptyRuntimeState, type RuntimeState } from '../../src/registry/index.js';
import { FaultyFs, fingerprint, makeStateDir, readStateFile, sampleState, writeStateFile } from './fixtures.js';
import { rejection } from '../../../test/helpers/errorAssertions.js';

const FILE = 'node-runtime.v1.json';
const NOBODY_UID = 65534;

/**
 * Runs `action` as an unprivileged user: as root, with the effective uid of nobody (who is
 * given `ownedDir`), restored afterwards; otherwise as the current user. Only the effective
 * uid changes, so root can take it back.
 */
async function asUnprivileged<T>(ownedDir: string, action: () => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0 || process.seteuid === undefined) return action();
  const { uid, gid } = await fsp.stat(ownedDir);
  await fsp.chown(ownedDir, NOBODY_UID, gid);
  process.seteuid(NOBODY_UID);
  try {
    return await action();
  } finally {
    process.seteuid(0);
    await fsp.chown(ownedDir, uid, gid);
  }
}

let dir: string;
beforeEach(async () => {
  dir = await makeStateDir();
});
afterEach(async () => {
  await fsp.chmod(dir, 0o700).catch(() => undefined);
  await fsp.rm(dir, { recursive: true, force: true });
});

async function entries(): Promise<string[]> {
  return (await fsp.readdir(dir)).sort();
}

describe('RuntimeStateStore.open', () => {
  it('starts empty when the file is missing and writes nothing until the first save', async () => {
    const store = await RuntimeStateStore.open({ stateDir: dir });
    expect(store.snapshot()).toEqual(emptyRuntimeState());
    expect(store.path).toBe(path.join(dir, FILE));
    expect(await entries()).toEqual([]);
  });

  it('round-trips a full state through the file, written 0600', async () => {
    const store = await RuntimeStateStore.open({ stateDir: dir });
    await store.save(sampleState());
    expect(await entries()).toEqual([FILE]);
    expect((await fsp.stat(path.join(dir, FILE))).mode & 0o777).toBe(0o600);
    expect(store.snapshot()).toEqual(sampleState());
    const reopened = await RuntimeStateStore.open({ stateDir: dir });
    expect(reopened.snapshot()).toEqual(sampleState());
  });

  it('freezes what it saved (it keeps it, uncopied) and hands out copies', async () => {
    const store = await RuntimeStateStore.open({ stateDir: dir });
    const state = sampleState();
    await store.save(state);
    expect(() => {
      state.nodes = [];
    }).toThrow(TypeError);
    expect(Object.isFrozen(state.nodes[0])).toBe(true);
    store.snapshot().nodes.length = 0;
    expect(store.snapshot().nodes).toHaveLength(1);
  });

  it('rejects an aborted signal', async () => {
    const error = await rejection(RuntimeStateStore.open({ stateDir: dir, signal: AbortSignal.abort() }));
    expect(error.code).toBe('PALYRA_E_CANCELLED');
  });
});

describe('refusing a bad state file (never modified)', () => {
  async function refuse(content: string | Buffer): Promise<PalyraError> {
    const file = await writeStateFile(dir, content);
    const before = await fsp.readFile(file);
    const error = await rejection(RuntimeStateStore.open({ stateDir: dir }));
    expect(await fsp.readFile(file)).toEqual(before);
    expect(await entries()).toEqual([FILE]);
    return error;
  }

  function mutated(change: (state: RuntimeState & Record<string, unknown>) => void): string {
    const state = sampleState() as RuntimeState & Record<string, unknown>;
    change(state);
    return JSON.stringify(state);
  }

  it('invalid JSON: PALYRA_E_STATE_CORRUPT naming the file and what to do', async () => {
    const error = await refuse('{"version": 1, "nodes": [');
    expect(error.code).toBe('PALYRA_E_STATE_CORRUPT');
    expect(error.message).toContain(path.join(dir, FILE));
    expect(error.message).toContain('invalid JSON');
    expect(error.message).toContain('restore it from a backup');
    expect(error.message).toContain('move it aside');
    expect(error.message).toContain('never overwrites it');
  });

  it('an empty file and bytes that are not UTF-8 are corrupt', async () => {
    expect((await refuse('')).message).toContain('the file is empty');
    expect((await refuse(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).message).toContain('not valid UTF-8');
  });

  const cases: [string, (s: RuntimeState & Record<string, unknown>) => void, string][] = [
    ['a fingerprint that is not hex', (s) => void (s.nodes[0]!.certFingerprint = 'abc'), 'nodes[0].certFingerprint: expected 64 lowercase hex chars'],
    ['a fingerprint in upper case', (s) => void (s.revoked[0]!.fingerprint = fingerprint(1).toUpperCase()), 'revoked[0].fingerprint: expected 64 lowercase hex chars'],
    ['a number for a string', (s) => void ((s.nodes[0] as unknown as Record<string, unknown>).name = 42), 'nodes[0].name: expected a string, got number'],
    ['an unknown enum value', (s) => void ((s.requests[0] as unknown as Record<string, unknown>).state = 'maybe'), 'requests[0].state: expected one of'],
    ['bad base64', (s) => void (s.nodes[0]!.ed25519PublicKey = 'not base64!'), 'nodes[0].ed25519PublicKey: expected canonical base64'],
    ['a key of the wrong size', (s) => void (s.nodes[0]!.x25519PublicKey = Buffer.alloc(31).toString('base64')), 'nodes[0].x25519PublicKey: expected base64 of 32 bytes, got 31'],
    ['a CSR that is not DER', (s) => void (s.requests[0]!.csr = Buffer.from('hello').toString('base64')), 'requests[0].csr: expected base64 of DER'],
    ['a bad timestamp', (s) => void (s.pairingCodes[0]!.expiresAt = '2025-02-30T00:00:00.000Z'), 'pairingCodes[0].expiresAt: expected a valid date'],
    ['a local-time timestamp', (s) => void (s.nodes[0]!.pairedAt = '2025-01-01 00:00'), 'nodes[0].pairedAt: expected an ISO-8601 UTC timestamp'],
    ['a negative attempt count', (s) => void (s.pairingCodes[0]!.attempts = -1), 'pairingCodes[0].attempts: expected a non-negative integer'],
    ['a device id that is no ULID', (s) => void (s.nodes[0]!.deviceId = 'node-1'), 'nodes[0].deviceId: expected a ULID'],
    ['a missing field', (s) => void delete (s.nodes[0] as Partial<RuntimeState['nodes'][number]>).lastSeen, 'nodes[0].lastSeen: missing'],
    ['an unknown field', (s) => void ((s.nodes[0] as unknown as Record<string, unknown>).extra = 1), 'nodes[0].extra: unknown field'],
    ['a label that is not a string', (s) => void ((s.nodes[0]!.labels as Record<string, unknown>).role = 1), 'nodes[0].labels["role"]: expected a string'],
    ['an array for an object', (s) => void ((s as Record<string, unknown>).nodes = {}), 'nodes: expected an array, got object'],
    ['a duplicate deviceId', (s) => void s.nodes.push({ ...s.nodes[0]!, certFingerprint: fingerprint(2) }), 'nodes[1]: duplicate deviceId'],
    ['a duplicate requestId', (s) => void s.requests.push({ ...s.requests[0]! }), 'requests[1]: duplicate requestId'],
    ['a duplicate cert fingerprint', (s) => void s.nodes.push({ ...s.nodes[0]!, deviceId: '01HQ0000000000000000000777' }), 'nodes[1]: duplicate certFingerprint'],
    ['two active PIN codes', (s) => {
      s.pairingCodes[0]!.state = 'active';
      s.pairingCodes.push({ ...s.pairingCodes[0]!, id: 'code-2' });
    }, 'pairingCodes[1]: a second active PIN code'],
    ['an approved request without certificate', (s) => void delete s.requests[0]!.certificate, 'requests[0].certificate: missing'],
    ['a pending request with decidedAt', (s) => {
      s.requests[0]!.state = 'pending_approval';
      delete s.requests[0]!.certificate;
    }, 'requests[0].decidedAt: must be absent'],
    ['a version that is not a number', (s) => void ((s as Record<string, unknown>).version = '1'), 'version: expected 1'],
    ['a missing version', (s) => void delete (s as Partial<RuntimeState>).version, 'version: missing'],
  ];
  it.each(cases)('%s: PALYRA_E_STATE_CORRUPT naming the field', async (_name, change, expected) => {
    const error = await refuse(mutated(change));
    expect(error.code).toBe('PALYRA_E_STATE_CORRUPT');
    expect(error.message).toContain(expected);
    expect(error.message).toContain(path.join(dir, FILE));
  });

  it('a JSON array or null at the top: corrupt', async () => {
    expect((await refuse('[]')).message).toContain('(root): expected an object, got array');
    expect((await refuse('null')).code).toBe('PALYRA_E_STATE_CORRUPT');
  });

  it('another version: PALYRA_E_STATE_VERSION', async () => {
    const error = await refuse(mutated((s) => void ((s as Record<string, unknown>).version = 2)));
    expect(error.code).toBe('PALYRA_E_STATE_VERSION');
    expect(error.message).toContain('newer palyrad');
    expect(error.message).toContain(path.join(dir, FILE));
    expect((await refuse(JSON.stringify({ version: 0 }))).code).toBe('PALYRA_E_STATE_VERSION');
  });

  it.each([0o644, 0o640, 0o604, 0o620])('mode %o: PALYRA_E_STATE_PERMISSIONS naming the chmod', async (mode) => {
    const file = await writeStateFile(dir, JSON.stringify(sampleState()), mode);
    const error = await rejection(RuntimeStateStore.open({ stateDir: dir }));
    expect(error.code).toBe('PALYRA_E_STATE_PERMISSIONS');
    expect(error.message).toContain(`chmod 600 '${file}'`);
    expect((await fsp.stat(file)).mode & 0o777).toBe(mode);
  });

  it('accepts 0400 and 0600', async () => {
    await writeStateFile(dir, JSON.stringify(sampleState()), 0o400);
    expect((await RuntimeStateStore.open({ stateDir: dir })).snapshot()).toEqual(sampleState());
  });

  it('a directory in place of the file: PALYRA_E_STATE_IO', async () => {
    await fsp.mkdir(path.join(dir, FILE), { mode: 0o700 });
    expect((await rejection(RuntimeStateStore.open({ stateDir: dir }))).code).toBe('PALYRA_E_STATE_IO');
  });
});

describe('RuntimeStateStore.save', () => {
  async function seeded(fs?: FaultyFs): Promise<{ store: RuntimeStateStore; before: Buffer }> {
    const file = await writeStateFile(dir, `${JSON.stringify(sampleState(), null, 2)}\n`);
    const store = await RuntimeStateStore.open(fs === undefined ? { stateDir: dir } : { stateDir: dir, fs });
    return { store, before: await fsp.readFile(file) };
  }

  it('a failed rename keeps the old file, removes the temp file and rejects with PALYRA_E_STATE_IO', async () => {
    const fs = new FaultyFs();
    const { store, before } = await seeded(fs);
    fs.renameFails = true;
    const error = await rejection(store.save(emptyRuntimeState()));
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toContain(path.join(dir, FILE));
    expect(await fsp.readFile(path.join(dir, FILE))).toEqual(before);
    expect(await entries()).toEqual([FILE]);
    expect(store.snapshot()).toEqual(sampleState());

    fs.renameFails = false;
    await store.save(emptyRuntimeState());
    expect(await readStateFile(dir)).toEqual(emptyRuntimeState());
  });

  it('a failed fsync of the temp file keeps the old file and removes the temp file', async () => {
    const fs = new FaultyFs();
    const { store, before } = await seeded(fs);
    fs.syncFails = true;
    expect((await rejection(store.save(emptyRuntimeState()))).code).toBe('PALYRA_E_STATE_IO');
    expect(await fsp.readFile(path.join(dir, FILE))).toEqual(before);
    expect(await entries()).toEqual([FILE]);
  });

  it.skipIf(process.platform === 'win32')('a read-only state dir keeps the old file', async () => {
    const { store, before } = await seeded();
    await fsp.chmod(dir, 0o500);
    // Root writes through any mode (and CI runs as root): the save runs as nobody, who owns the dir.
    const error = await asUnprivileged(dir, () => rejection(store.save(emptyRuntimeState())));
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toContain(dir);
    await fsp.chmod(dir, 0o700);
    expect(await fsp.readFile(path.join(dir, FILE))).toEqual(before);
    expect(await entries()).toEqual([FILE]);
  });

  it('a missing state dir: PALYRA_E_STATE_IO', async () => {
    const store = await RuntimeStateStore.open({ stateDir: path.join(dir, 'missing') });
    expect((await rejection(store.save(sampleState()))).code).toBe('PALYRA_E_STATE_IO');
  });

  it('refuses to write a state that would not load back, leaving the file alone', async () => {
    const { store, before } = await seeded();
    const bad = sampleState();
    bad.nodes[0]!.certFingerprint = 'nope';
    const error = await rejection(store.save(bad));
    expect(error.code).toBe('PALYRA_E_INTERNAL');
    expect(error.message).toContain('nodes[0].certFingerprint');
    expect(await fsp.readFile(path.join(dir, FILE))).toEqual(before);
  });

  it('an aborted save writes nothing', async () => {
    const { store, before } = await seeded();
    const error = await rejection(store.save(emptyRuntimeState(), { signal: AbortSignal.abort() }));
    expect(error.code).toBe('PALYRA_E_CANCELLED');
    expect(await fsp.readFile(path.join(dir, FILE))).toEqual(before);
    expect(await entries()).toEqual([FILE]);
  });

  it('serializes concurrent saves: they never overlap and the last one wins', async () => {
    const fs = new FaultyFs();
    const { store } = await seeded(fs);
    const states = Array.from({ length: 20 }, (_, i) => {
      const state = sampleState();
      state.nodes[0]!.name = `name-${i}`;
      return state;
    });
    await Promise.all(states.map((s) => store.save(s)));
    expect(fs.maxInFlight).toBe(1);
    expect((await readStateFile(dir)).nodes[0]!.name).toBe('name-19');
    expect(await entries()).toEqual([FILE]);
  });

  it('a failed save does not stop the saves queued after it', async () => {
    const fs = new FaultyFs();
    const { store } = await seeded(fs);
    fs.renameFails = true;
    const first = store.save(emptyRuntimeState());
    const later = sampleState();
    later.revoked = [];
    const second = store.save(later);
    await expect(first).rejects.toMatchObject({ code: 'PALYRA_E_STATE_IO' });
    fs.renameFails = false;
    await second;
    expect(await readStateFile(dir)).toEqual(later);
  });

  it('the file is always the old or the new document while saves run', async () => {
    const { store } = await seeded();
    const a = JSON.stringify(sampleState());
    const bState = sampleState();
    bState.nodes = [];
    const b = JSON.stringify(bState);
    let stop = false;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!stop) {
        const text = await fsp.readFile(path.join(dir, FILE), 'utf8');
        seen.add(JSON.stringify(JSON.parse(text)));
      }
    })();
    for (let i = 0; i < 20; i++) await store.save(i % 2 === 0 ? bState : sampleState());
    stop = true;
    await reader;
    for (const doc of seen) expect([a, b]).toContain(doc);
  });
});
