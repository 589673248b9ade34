/**
 * What other contexts may use of the crypto layer: the two suites behind one interface,
 * canonical JSON, JWS, and private keys at rest. SM2 internals stay in `sm2.ts`.
 */
export { cryptoSuite, suiteForJwsAlgorithm } from './suite.ts';
export type { CryptoSuite, HashAlgorithm, JwsAlgorithm, RawKeyPair, SuiteName } from './suite.ts';
export { canonicalBytes, canonicalJson } from './canonical-json.ts';
export { decodeCanonicalPayload, decodeJwsPayload, formatKid, parseKid, signCanonicalJws, signJws, verifyJws } from './jws.ts';
export type { DecodedJwsPayload, FlattenedJws, JwsHeader, JwsKeyResolver, JwsSigner, JwsVerificationKey, ParsedKid, VerifiedJws } from './jws.ts';
export { defaultKeyWrapParams, unwrapPrivateKey, wrapPrivateKey, wrappedKeyParams } from './key-wrap.ts';
export type { KeyWrapParams } from './key-wrap.ts';
export { fromBase64Url, toBase64Url } from './base64url.ts';
