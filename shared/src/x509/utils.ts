import forge from 'node-forge';

/** Rejects with `signal.reason` as soon as the signal aborts; the work itself keeps running. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** node-forge works on "binary strings" (one char per byte). */
export function toForgeBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('binary');
}

export function fromForgeBytes(bytes: string): Buffer {
  return Buffer.from(bytes, 'binary');
}

/** Parses DER strictly: definite lengths, all bytes consumed, BIT STRINGs left opaque. */
export function parseDer(der: Uint8Array): forge.asn1.Asn1 {
  const fromDer = forge.asn1.fromDer as unknown as (
    bytes: string,
    options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
  ) => forge.asn1.Asn1;
  return fromDer(toForgeBytes(der), { strict: true, parseAllBytes: true, decodeBitStrings: false });
}

export function toDer(asn1: forge.asn1.Asn1): Buffer {
  return fromForgeBytes(forge.asn1.toDer(asn1).getBytes());
}

/** Functions node-forge has but @types/node-forge does not declare. */
export const forgePki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
  getCertificationRequestInfo(csr: forge.pki.CertificateSigningRequest): forge.asn1.Asn1;
};
