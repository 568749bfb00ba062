import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCsr, generateTlsKeyPair, newDeviceId, type TlsKeyPair } from '@palyra/shared';
import { CA_STATE_FILE, CertificateAuthority, type RotateStep } from '../../src/ca/index.js';
import { expectCode } from '../../../test/helpers/errorAssertions.js';

const dirs: string[] = [];
let nodeKeys: TlsKeyPair | undefined;

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-ca-gen-'));
  dirs.push(dir);
  return dir;
}

async function nodeCsr(deviceId: string): Promise<Uint8Array> {
  nodeKeys ??= await generateTlsKeyPair();
  return createCsr({ ...nodeKeys, deviceId });
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

class Crash extends Error {}

describe('CA generations', () => {
  it('rotate adds a signing CA beside the first, which keeps its files and becomes retiring; both load again', async () => {
    const dir = await stateDir();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    const first = ca.signing.fingerprint;
    const firstKey = await readFile(join(dir, 'ca.key'));
    const server = await ca.ensureServerCertificate({ hosts: [] });

    const next = await ca.rotate();
    expect(ca.rotating).toBe(true);
    expect(ca.signing.fingerprint).toBe(next.fingerprint);
    expect(ca.trustedFingerprints).toEqual([first, next.fingerprint]);
    expect(ca.generations.map((g) => g.role)).toEqual(['retiring', 'signing']);
    // The first CA's key is untouched; the new one lives under a name of its own.
    expect(await readFile(join(dir, 'ca.key'))).toEqual(firstKey);
    expect((await stat(join(dir, 'ca-2.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, CA_STATE_FILE))).mode & 0o777).toBe(0o600);
    // The server certificate stays with the CA every node trusts until told otherwise.
    expect(ca.caFingerprint).toBe(first);
    expect((await ca.ensureServerCertificate({ hosts: [] })).fingerprint).toBe(server.fingerprint);

    // Node certificates come from the new CA and say so.
    const deviceId = newDeviceId();
    const issued = await ca.signNodeCsr({ csrDer: await nodeCsr(deviceId), deviceId });
    expect(issued.caFingerprint).toBe(next.fingerprint);
    expect(new X509Certificate(issued.certDer).checkIssued(next.x509)).toBe(true);
    // The bundle holds both.
    expect(ca.trustBundlePem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);

    const again = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    expect(again.trustedFingerprints).toEqual([first, next.fingerprint]);
    expect(again.signing.fingerprint).toBe(next.fingerprint);
  });

  it('a second rotate while one is in progress is PALYRA_E_CA_ROTATION_IN_PROGRESS and changes nothing', async () => {
    const dir = await stateDir();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    await ca.rotate();
    const record = await readFile(join(dir, CA_STATE_FILE), 'utf8');
    await expectCode(ca.rotate(), 'PALYRA_E_CA_ROTATION_IN_PROGRESS');
    expect(await readFile(join(dir, CA_STATE_FILE), 'utf8')).toBe(record);
  });

  it('retire drops the old CA from the trusted set (it needs the server certificate moved first) and allows the next rotation', async () => {
    const dir = await stateDir();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    const first = ca.signing.fingerprint;
    await ca.ensureServerCertificate({ hosts: [] });
    await expectCode(ca.retire(), 'PALYRA_E_CA_NOT_ROTATING');
    const next = await ca.rotate();
    // Still the server's CA: refused.
    await expectCode(ca.retire(), 'PALYRA_E_INTERNAL');
    const server = await ca.ensureServerCertificate({ hosts: [], issuer: next.fingerprint });
    expect(next.issued(server.certDer)).toBe(true);
    expect(ca.caFingerprint).toBe(next.fingerprint);
    expect(await ca.retire()).toBe(first);
    expect(ca.trustedFingerprints).toEqual([next.fingerprint]);
    expect(ca.generations.map((g) => g.role)).toEqual(['retired', 'signing']);

    const again = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    expect(again.trustedFingerprints).toEqual([next.fingerprint]);
    // The server certificate of the new CA is reused at the next start.
    expect((await again.ensureServerCertificate({ hosts: [], issuer: next.fingerprint })).issued).toBe(false);
    const third = await again.rotate();
    expect(third.id).toBe(3);
    expect(again.trustedFingerprints).toEqual([next.fingerprint, third.fingerprint]);
  });

  for (const step of ['key', 'certificate', 'state'] as const satisfies readonly RotateStep[]) {
    it(`a crash after the ${step} step leaves a CA set that loads (the old one, or the complete new one), and rotating again works`, async () => {
      const dir = await stateDir();
      const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
      const first = ca.signing.fingerprint;
      await expect(
        ca.rotate({
          afterStep: (reached) => {
            if (reached === step) throw new Crash(`crash after ${step}`);
          },
        }),
      ).rejects.toBeInstanceOf(Crash);

      // A new process: only what reached the disk counts.
      const restarted = await CertificateAuthority.loadOrCreate({ stateDir: dir });
      if (step === 'state') {
        expect(restarted.trustedFingerprints).toHaveLength(2);
        expect(restarted.trustedFingerprints[0]).toBe(first);
        await expectCode(restarted.rotate(), 'PALYRA_E_CA_ROTATION_IN_PROGRESS');
        return;
      }
      expect(restarted.trustedFingerprints).toEqual([first]);
      expect(restarted.rotating).toBe(false);
      // The leftovers under the unreferenced names are replaced by the next rotation.
      const next = await restarted.rotate();
      expect(next.id).toBe(2);
      const reloaded = await CertificateAuthority.loadOrCreate({ stateDir: dir });
      expect(reloaded.trustedFingerprints).toEqual([first, next.fingerprint]);
    });
  }

  it('refuses a state record whose certificate file is not the one it names, and one that is not valid', async () => {
    const dir = await stateDir();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    await ca.rotate();
    const other = await stateDir();
    const foreign = await CertificateAuthority.loadOrCreate({ stateDir: other });
    await foreign.rotate();
    // A certificate and key that match each other, but not the record.
    await writeFile(join(dir, 'ca-2.crt'), await readFile(join(other, 'ca-2.crt')));
    await writeFile(join(dir, 'ca-2.key'), await readFile(join(other, 'ca-2.key')), { mode: 0o600 });
    await expectCode(CertificateAuthority.loadOrCreate({ stateDir: dir }), 'PALYRA_E_CA_INVALID');

    const broken = await stateDir();
    await CertificateAuthority.loadOrCreate({ stateDir: broken });
    await writeFile(join(broken, CA_STATE_FILE), JSON.stringify({ version: 1, generations: [] }), { mode: 0o600 });
    await expectCode(CertificateAuthority.loadOrCreate({ stateDir: broken }), 'PALYRA_E_CA_INVALID');
  });

  it('a missing half of the new generation is PALYRA_E_CA_INVALID, never a silently smaller trust set', async () => {
    const dir = await stateDir();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    await ca.rotate();
    await rm(join(dir, 'ca-2.crt'));
    const error = await expectCode(CertificateAuthority.loadOrCreate({ stateDir: dir }), 'PALYRA_E_CA_INVALID');
    expect(error.message).toContain('ca-2.crt');
  });
});

describe('an expired retiring CA', () => {
  it('does not stop the daemon from starting mid-rotation: it loads (nothing it issued is valid any more), the server certificate falls back to the signing CA', async () => {
    const dir = await stateDir();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    const first = ca.signing.fingerprint;
    const year = 365.25 * 86_400_000;
    const rotatedAt = new Date(Date.now() + 9.5 * year);
    const next = await ca.rotate({ now: () => rotatedAt });
    // Eleven years on, the rotation never finished (a node stayed away): the first CA expired.
    const later = new Date(Date.now() + 10.5 * year);
    const reloaded = await CertificateAuthority.loadOrCreate({ stateDir: dir, now: () => later });
    expect(reloaded.trustedFingerprints).toEqual([first, next.fingerprint]);
    expect(reloaded.rotating).toBe(true);
    // Not the expired CA: a server certificate from it would be expired at birth.
    expect(reloaded.serverFallback(later).fingerprint).toBe(next.fingerprint);
    expect(reloaded.serverFallback(new Date()).fingerprint).toBe(first);
    // An expired signing CA is still refused (nothing could issue).
    await expectCode(CertificateAuthority.loadOrCreate({ stateDir: dir, now: () => new Date(Date.now() + 20 * year) }), 'PALYRA_E_CA_INVALID');
  });

  it('is left out of the trust bundle nodes are sent (agents refuse a bundle holding an expired CA, and would never learn the new one)', async () => {
    const dir = await stateDir();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    const year = 365.25 * 86_400_000;
    const next = await ca.rotate({ now: () => new Date(Date.now() + 9.5 * year) });
    const later = new Date(Date.now() + 10.5 * year);
    const reloaded = await CertificateAuthority.loadOrCreate({ stateDir: dir, now: () => later });
    expect(reloaded.trustedFingerprints).toEqual([ca.trusted[0]?.fingerprint, next.fingerprint]);
    expect(reloaded.trustBundlePem).toBe(next.certPem);
    expect(reloaded.bundleFingerprints).toEqual([next.fingerprint]);
  });

  it('server certificate renewals (no issuer named) move off it to the oldest unexpired CA instead of issuing one expired at birth', async () => {
    const dir = await stateDir();
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    const year = 365.25 * 86_400_000;
    const next = await ca.rotate({ now: () => new Date(Date.now() + 9.5 * year) });
    const reloaded = await CertificateAuthority.loadOrCreate({ stateDir: dir, now: () => new Date(Date.now() + 10.5 * year) });
    await reloaded.ensureServerCertificate({ hosts: [], force: true });
    expect(reloaded.serverCa.fingerprint).toBe(next.fingerprint);
  });
});
