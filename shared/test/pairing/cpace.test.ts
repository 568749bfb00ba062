import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  CPACE_SHA512_BLOCK_BYTES,
  CPACE_X25519_DSI,
  calculateGenerator,
  decodeUCoordinate,
  deriveIsk,
  encodeUCoordinate,
  generatorString,
  isIdentity,
  mapToCurveElligator2,
  scalarMult,
  scalarMultVfy,
  transcriptIr,
} from '../../src/pairing/cpace.js';
import { lvCat, prependLen, utf8 } from '../../src/pairing/encoding.js';
import {
  encodingVectors,
  x25519LowOrder,
  x25519Sha512 as tc,
  x25519Sha512JsonBase64,
} from './fixtures/cpace-x25519-sha512.js';

const h = (value: string): Uint8Array => hexToBytes(value);
const ascii = (value: string): Uint8Array => utf8(value);

describe('CPace string utilities (draft appendix A)', () => {
  it('prepend_len matches A.1.2', () => {
    for (const { input, output } of encodingVectors.prependLen) {
      expect(bytesToHex(prependLen(h(input)))).toBe(output);
    }
    const range127 = Uint8Array.from({ length: 127 }, (_, i) => i);
    const range128 = Uint8Array.from({ length: 128 }, (_, i) => i);
    expect(bytesToHex(prependLen(range127))).toBe(encodingVectors.prependLenRange127Prefix + bytesToHex(range127));
    expect(bytesToHex(prependLen(range128))).toBe(encodingVectors.prependLenRange128Prefix + bytesToHex(range128));
  });

  it('lv_cat matches A.1.4', () => {
    const { inputs, output } = encodingVectors.lvCat;
    expect(bytesToHex(lvCat(...inputs.map(h)))).toBe(output);
  });

  it('transcript_ir matches A.3.5', () => {
    for (const v of encodingVectors.transcriptIr) {
      expect(bytesToHex(transcriptIr(ascii(v.ya), ascii(v.ada), ascii(v.yb), ascii(v.adb)))).toBe(v.output);
    }
  });
});

describe('CPACE-X25519-SHA512 vectors (draft appendix B.1)', () => {
  it('the hex fixtures agree with the draft JSON encoding of the same vectors', () => {
    const json = JSON.parse(Buffer.from(x25519Sha512JsonBase64, 'base64').toString('utf8')) as Record<string, string>;
    const lower = (key: string): string => (json[key] ?? '').toLowerCase();
    expect(lower('PRS')).toBe(tc.prs);
    expect(lower('CI')).toBe(tc.ci);
    expect(lower('sid')).toBe(tc.sid);
    expect(lower('g')).toBe(tc.g);
    expect(lower('ya')).toBe(tc.ya);
    expect(lower('ADa')).toBe(tc.ada);
    expect(lower('Ya')).toBe(tc.Ya);
    expect(lower('yb')).toBe(tc.yb);
    expect(lower('ADb')).toBe(tc.adb);
    expect(lower('Yb')).toBe(tc.Yb);
    expect(lower('K')).toBe(tc.K);
    expect(lower('ISK_IR')).toBe(tc.iskIr);
  });

  it('generator_string (B.1.1)', () => {
    expect(bytesToHex(CPACE_X25519_DSI)).toBe(tc.dsi);
    expect(CPACE_SHA512_BLOCK_BYTES).toBe(tc.sInBytes);
    const genStr = generatorString(CPACE_X25519_DSI, h(tc.prs), h(tc.ci), h(tc.sid), tc.sInBytes);
    expect(genStr.length).toBe(tc.generatorStringLength);
    expect(bytesToHex(genStr)).toBe(tc.generatorString);
    // len_zpad shows up as the LEB128 length of the zero field right after DSI and PRS.
    expect(genStr[9 + 9]).toBe(tc.zpadLength);
  });

  it('hash, decoded field element and generator g (B.1.1)', () => {
    const genStrHash = sha512(h(tc.generatorString)).subarray(0, 32);
    expect(bytesToHex(genStrHash)).toBe(tc.hashGeneratorString);
    const u = decodeUCoordinate(genStrHash);
    expect(bytesToHex(encodeUCoordinate(u))).toBe(tc.decodedFieldElement);
    expect(bytesToHex(mapToCurveElligator2(u))).toBe(tc.g);
    expect(bytesToHex(calculateGenerator(h(tc.prs), h(tc.ci), h(tc.sid)))).toBe(tc.g);
  });

  it('messages Ya and Yb (B.1.2, B.1.3)', () => {
    expect(bytesToHex(scalarMult(h(tc.ya), h(tc.g)))).toBe(tc.Ya);
    expect(bytesToHex(scalarMult(h(tc.yb), h(tc.g)))).toBe(tc.Yb);
  });

  it('secret point K from both sides (B.1.4)', () => {
    expect(bytesToHex(scalarMultVfy(h(tc.ya), h(tc.Yb)))).toBe(tc.K);
    expect(bytesToHex(scalarMultVfy(h(tc.yb), h(tc.Ya)))).toBe(tc.K);
  });

  it('ISK for the initiator/responder setting (B.1.5)', () => {
    const shares = { ya: h(tc.Ya), ada: h(tc.ada), yb: h(tc.Yb), adb: h(tc.adb) };
    expect(bytesToHex(transcriptIr(shares.ya, shares.ada, shares.yb, shares.adb))).toBe(tc.transcriptIr);
    // The intermediate string the draft prints, rebuilt from its parts.
    expect(bytesToHex(lvCat(h(tc.dsiIsk), h(tc.sid), h(tc.K))) + tc.transcriptIr).toBe(tc.iskInput);
    expect(bytesToHex(deriveIsk(h(tc.sid), h(tc.K), shares))).toBe(tc.iskIr);
  });
});

describe('G_X25519.scalar_mult_vfy on low-order points (draft B.1.10)', () => {
  const s = h(x25519LowOrder.s);

  for (const c of x25519LowOrder.cases) {
    it(`${c.name} gives q${c.name.slice(1)}`, () => {
      const q = scalarMultVfy(s, h(c.u));
      expect(bytesToHex(q)).toBe(c.q);
      expect(isIdentity(q)).toBe(c.abort);
    });
  }
});
