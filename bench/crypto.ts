/**
 * Crypto benchmark: JWS signing and verification through Tongban's wrapper beside a bare
 * node:crypto loop over the same primitive, for both suites, on a 1 KiB canonical payload.
 *
 * The SM2 baseline is Node's own one-shot SM2 on a PEM-reimported key. It hashes with an empty
 * user ID, so it is not standard SM2 and would not verify the GM/T vector, but it is the speed
 * OpenSSL's SM2 arithmetic allows, which is what our wrapper should approach.
 *
 * Run: `node --import tsx bench/crypto.ts`.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { canonicalBytes, cryptoSuite, signJws, verifyJws, type CryptoSuite, type FlattenedJws, type SuiteName } from '../src/crypto/index.ts';
import { sm2SignNative, sm2SignPure, sm2VerifyNative, sm2VerifyPure } from '../src/crypto/sm2.ts';

const MEASURE_MS = 1500;
const ROUNDS = 5; // ours and raw alternate in slices, so background load hits both alike

interface Row {
  readonly suite: SuiteName;
  readonly operation: 'sign' | 'verify';
  readonly ours: number;
  readonly raw: number;
}

/** Runs the benchmark and prints one table. */
export async function run(): Promise<void> {
  const payload = envelopeOfAboutOneKiB();
  const bytes = Buffer.from(canonicalBytes(payload));
  const rows: Row[] = [];
  for (const name of ['intl', 'sm'] as const) {
    const suite = cryptoSuite(name);
    const keys = suite.generateSigningKey();
    const signer = { kid: '520400#bench', suite, privateKey: keys.privateKey };
    const resolve = (): { suite: CryptoSuite; publicKey: Uint8Array } => ({ suite, publicKey: keys.publicKey });
    const raw = rawKeys(name);
    const rawSignature = nodeSign(null, bytes, raw.privateKey);
    const jws: FlattenedJws = signJws(payload, signer);
    verifyJws(jws, resolve);
    if (!nodeVerify(null, bytes, raw.publicKey, rawSignature)) throw new Error('baseline signature does not verify');

    const [oursSign, rawSign] = compare(
      () => signJws(payload, signer),
      () => nodeSign(null, bytes, raw.privateKey),
    );
    rows.push({ suite: name, operation: 'sign', ours: oursSign, raw: rawSign });
    const [oursVerify, rawVerify] = compare(
      () => verifyJws(jws, resolve),
      () => nodeVerify(null, bytes, raw.publicKey, rawSignature),
    );
    rows.push({ suite: name, operation: 'verify', ours: oursVerify, raw: rawVerify });
  }
  printTable(bytes.length, rows);
  compareSm2BackEnds(bytes);
}

/** Why the sm suite uses OpenSSL for SM2 (both back ends are standard SM2 with the default ID). */
function compareSm2BackEnds(bytes: Uint8Array): void {
  const keys = cryptoSuite('sm').generateSigningKey();
  const signature = sm2SignNative(keys.privateKey, bytes);
  const [nativeSign, pureSign] = compare(
    () => sm2SignNative(keys.privateKey, bytes),
    () => sm2SignPure(keys.privateKey, bytes),
  );
  const [nativeVerify, pureVerify] = compare(
    () => sm2VerifyNative(keys.publicKey, bytes, signature),
    () => sm2VerifyPure(keys.publicKey, bytes, signature),
  );
  const format = (value: number): string => Math.round(value).toLocaleString('en-US').padStart(9);
  console.log('');
  console.log('SM2 back ends (GM/T-conformant, same bytes)  OpenSSL on our e   JavaScript (k·G by ECDH, BigInt / noble tables)');
  console.log(`  sign ops/s                                  ${format(nativeSign)}          ${format(pureSign)}`);
  console.log(`  verify ops/s                                ${format(nativeVerify)}          ${format(pureVerify)}`);
}

/** Ops/s of two loops, each given MEASURE_MS in total, interleaved in ROUNDS slices. */
function compare(ours: () => unknown, raw: () => unknown): [number, number] {
  const totals = [
    { ops: 0, ms: 0 },
    { ops: 0, ms: 0 },
  ];
  const loops = [ours, raw];
  for (let i = 0; i < 200; i++) loops.forEach((loop) => loop()); // warm up
  for (let round = 0; round < ROUNDS; round++) {
    loops.forEach((loop, index) => {
      const total = totals[index] as { ops: number; ms: number };
      const start = performance.now();
      let now = start;
      while (now - start < MEASURE_MS / ROUNDS) {
        for (let i = 0; i < 16; i++) loop();
        total.ops += 16;
        now = performance.now();
      }
      total.ms += now - start;
    });
  }
  return totals.map((total) => (total.ops * 1000) / total.ms) as [number, number];
}

function rawKeys(name: SuiteName): { privateKey: KeyObject; publicKey: KeyObject } {
  if (name === 'intl') return generateKeyPairSync('ed25519');
  // A fresh 'SM2' key signs plain ECDSA; a PEM round trip makes OpenSSL treat it as SM2.
  const generated = generateKeyPairSync('ec', { namedCurve: 'SM2' });
  const privateKey = createPrivateKey(generated.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const publicKey = createPublicKey(generated.publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey };
}

/** An exchange envelope shaped like the real ones, padded to about 1 KiB of canonical JSON. */
function envelopeOfAboutOneKiB(): Record<string, unknown> {
  const envelope: Record<string, unknown> = {
    id: '01890f4e-9b1c-7cc2-8e5a-3f4b2a1c0d9e',
    ts: '2026-03-01T08:30:00.000Z',
    from: '331083',
    to: '520400',
    op: 'query',
    agreement: 'agr-520400-331083-social-insurance@3',
    item: '就医结算备案',
    purpose: 'medical-filing',
    operator: { id: 'u-3310830042', name: '陈晓', role: 'case_officer' },
    body: {
      dataset: '520400/social-insurance-enrolment',
      key: { citizenId: '11010519491231002X' },
      fields: ['name', 'insuredStatus', 'insuredSince', 'insuredPlace', 'contributionMonths'],
      case: { id: 'case-2026-000123', step: 'verify', deadline: '2026-03-04' },
      note: '',
    },
  };
  const length = canonicalBytes(envelope).length;
  (envelope.body as Record<string, unknown>).note = 'x'.repeat(Math.max(0, 1024 - length));
  return envelope;
}

function printTable(payloadBytes: number, rows: readonly Row[]): void {
  const format = (value: number): string => Math.round(value).toLocaleString('en-US').padStart(9);
  console.log(`crypto: JWS over a ${payloadBytes}-byte canonical JSON payload, ${MEASURE_MS / 1000} s per measurement`);
  console.log('suite  operation   ours ops/s    raw ops/s   ours/raw');
  for (const row of rows) {
    console.log(
      `${row.suite.padEnd(6)} ${row.operation.padEnd(9)}  ${format(row.ours)}    ${format(row.raw)}     ${(row.ours / row.raw).toFixed(2)}`,
    );
  }
  console.log('raw: intl = crypto.sign/verify(null, bytes, Ed25519 KeyObject);');
  console.log('     sm   = the same on a PEM-reimported SM2 key (Node\'s SM2 with an empty user ID, not GM/T-conformant).');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
