import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoSuite } from '../../src/crypto/suite.ts';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const intl = cryptoSuite('intl');

// RFC 8032 §7.1: secret key (seed), public key, message, signature.
const rfc8032 = [
  {
    name: 'TEST 1 (empty message)',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2 (1 byte)',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3 (2 bytes)',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST SHA(abc)',
    secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    public: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

describe('intl suite: Ed25519 (RFC 8032 §7.1)', () => {
  for (const vector of rfc8032) {
    test(vector.name, () => {
      const secret = hex(vector.secret);
      const publicKey = hex(vector.public);
      const message = hex(vector.message);
      assert.equal(Buffer.from(intl.signingPublicKey(secret)).toString('hex'), vector.public);
      assert.equal(Buffer.from(intl.sign(secret, message)).toString('hex'), vector.signature);
      const signature = hex(vector.signature);
      assert.equal(intl.verify(publicKey, message, signature), true);
      for (const bit of [0, 100, 511]) {
        const flipped = Buffer.from(signature);
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        assert.equal(intl.verify(publicKey, message, flipped), false, `signature bit ${bit}`);
      }
      const otherMessage = Buffer.concat([message, Uint8Array.of(0)]);
      assert.equal(intl.verify(publicKey, otherMessage, signature), false);
    });
  }
});

describe('intl suite: hashing and key handling', () => {
  test('SHA-256 of "abc" (FIPS 180-2)', () => {
    assert.equal(
      Buffer.from(intl.hash(Buffer.from('abc'))).toString('hex'),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  test('a mutated private-key array is not served from the cache', () => {
    const key = Buffer.from(rfc8032[0]!.secret, 'hex');
    assert.equal(Buffer.from(intl.signingPublicKey(key)).toString('hex'), rfc8032[0]!.public);
    key.set(Buffer.from(rfc8032[1]!.secret, 'hex'));
    assert.equal(Buffer.from(intl.signingPublicKey(key)).toString('hex'), rfc8032[1]!.public);
  });

  test('agreement keys are 32-byte X25519 keys whose public half is derivable', () => {
    const pair = intl.generateAgreementKey();
    assert.equal(pair.publicKey.length, 32);
    assert.equal(pair.privateKey.length, 32);
    assert.deepEqual(Buffer.from(intl.agreementPublicKey(pair.privateKey)), Buffer.from(pair.publicKey));
  });

  test('a low-order X25519 recipient key is refused when sealing', () => {
    assert.throws(() => intl.seal(new Uint8Array(32), Buffer.from('x'), new Uint8Array(0)), { code: 'invalid_input' });
  });
});
