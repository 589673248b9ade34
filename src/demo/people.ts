/**
 * Deterministic generated people for the demo, tests and benchmarks: names, birth dates, sex and
 * GB 11643-1999 citizen ID numbers whose address codes are real GB/T 2260 county codes.
 */
import { readFileSync } from 'node:fs';

/** A division from `reference/gb-t-2260-divisions.csv`. */
export interface Division {
  readonly code: string;
  readonly name: string;
  readonly level: 'province' | 'prefecture' | 'county';
  readonly parent: string | null;
}

/** Loads the GB/T 2260 reference table shipped with Tongban. */
export function loadDivisions(): Division[] {
  const text = readFileSync(new URL('../../reference/gb-t-2260-divisions.csv', import.meta.url), 'utf8');
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [code, name, level, parent] = line.split(',');
      return { code: code!, name: name!, level: level as Division['level'], parent: parent ? parent : null };
    });
}

/** GB 11643 check character: ISO 7064 MOD 11-2 over the first 17 digits. */
export function idCheckChar(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let index = 0; index < 17; index++) sum += Number(first17[index]) * weights[index]!;
  return '10X98765432'[sum % 11]!;
}

/** A small, fast, seeded PRNG (mulberry32): the same seed always yields the same people. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Person {
  readonly idNumber: string;
  readonly name: string;
  /** GB/T 2261.1: 1 male, 2 female. */
  readonly sex: '1' | '2';
  readonly birthDate: string;
  /** The county (GB/T 2260) of the ID number's address code. */
  readonly division: string;
}

const surnames = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'];
const givenChars = [...'伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏辉玲红建国建华志强文斌海燕雪梅晓东俊杰子涵欣怡浩宇思远雨萱'];

/** Generates `count` people from `seed`, born in the given counties (default: every county in the table). */
export function generatePeople(count: number, seed = 2026, counties?: readonly string[]): Person[] {
  const random = seededRandom(seed);
  const pool = counties ?? loadDivisions().filter((division) => division.level === 'county').map((division) => division.code);
  const people: Person[] = [];
  const used = new Set<string>();
  while (people.length < count) {
    const division = pool[Math.floor(random() * pool.length)]!;
    const birth = new Date(Date.UTC(1950, 0, 1) + Math.floor(random() * 55 * 365.25) * 86_400_000);
    const birthDate = birth.toISOString().slice(0, 10);
    const sex = random() < 0.5 ? '1' : '2';
    // The sequence's last digit is odd for men and even for women.
    const sequence = Math.floor(random() * 500) * 2 + (sex === '1' ? 1 : 0);
    const first17 = `${division}${birthDate.replace(/-/g, '')}${String(sequence).padStart(3, '0')}`;
    const idNumber = first17 + idCheckChar(first17);
    if (used.has(idNumber)) continue;
    used.add(idNumber);
    const given = givenChars[Math.floor(random() * givenChars.length)]! + (random() < 0.6 ? givenChars[Math.floor(random() * givenChars.length)]! : '');
    people.push({ idNumber, name: surnames[Math.floor(random() * surnames.length)]! + given, sex, birthDate, division });
  }
  return people;
}
