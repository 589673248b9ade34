/**
 * A seeded, streaming source of generated people: names, birth dates, sex and GB 11643-1999
 * citizen ID numbers whose address codes are county codes of the GB/T 2260 reference table.
 *
 * Every ID number is unique without remembering the ones handed out: person `i` takes slot
 * `permute(i)` of the (county × birth day × sequence pair) space, where `permute` is a seeded
 * bijection (a Feistel network with cycle walking). Memory stays constant for any count.
 */
import { InputError } from '../../core/errors.ts';
import { idCheckChar, loadDivisions, seededRandom, type Person } from '../people.ts';

/** How a person source is configured. */
export interface PersonSourceOptions {
  readonly seed: number;
  /** County codes for the ID numbers' address codes; default every county of the reference table. */
  readonly counties?: readonly string[];
  /** First and last birth day, `YYYY-MM-DD` (default 1950-01-01 … 2005-12-31). */
  readonly bornFrom?: string;
  readonly bornTo?: string;
}

/** Hands out distinct generated people, one at a time. */
export interface PersonSource {
  /** How many distinct people the configuration can produce. */
  readonly capacity: number;
  /** The counties used, in order. */
  readonly counties: readonly string[];
  /** The next person; the `index`-th call always yields the same person for the same options. */
  next(): Person;
  /** The random stream the source draws names and sex from, shared with the record builders. */
  readonly random: () => number;
}

const dayMs = 86_400_000;

/** Surnames roughly in order of frequency; earlier ones are drawn more often. */
const surnames = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'];
const surnameWeights = cumulative(surnames.map((_, rank) => 1 / (rank + 8)));
const maleGiven = [...'伟强磊军洋勇杰涛明超刚平辉鹏华飞斌宇浩俊峰建国志文波东亮林晨博凯旭阳鑫'];
const femaleGiven = [...'芳娜秀英敏静丽艳娟霞玲红燕萍琳雪梅婷慧颖佳欣怡雨萱晶倩丹莉蓉琴兰'];

function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let running = 0;
  return weights.map((weight) => (running += weight / total));
}

/** Picks an index from cumulative weights (the last entry is 1). */
export function pickWeighted(cumulativeWeights: readonly number[], draw: number): number {
  let low = 0;
  let high = cumulativeWeights.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (draw < cumulativeWeights[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** A Chinese name for a person of the given sex. */
export function drawName(random: () => number, sex: '1' | '2'): string {
  const given = sex === '1' ? maleGiven : femaleGiven;
  const pick = () => given[Math.floor(random() * given.length)]!;
  return surnames[pickWeighted(surnameWeights, random())]! + pick() + (random() < 0.65 ? pick() : '');
}

/** A 32-bit mixing function (the MurmurHash3 finaliser). */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A seeded bijection of [0, size): a four-round Feistel network over the smallest even power
 * of two that covers `size`, walking the cycle until the value falls inside the range.
 */
export function createPermutation(size: number, seed: number): (index: number) => number {
  let halfBits = 1;
  while (2 ** (2 * halfBits) < size) halfBits += 1;
  if (halfBits > 26) throw new InputError(`A permutation over ${size} values is too large.`);
  const half = 2 ** halfBits;
  const mask = half - 1;
  const keys = [1, 2, 3, 4].map((round) => mix32(seed ^ Math.imul(round, 0x9e3779b9)));
  const once = (value: number) => {
    let left = Math.floor(value / half);
    let right = value % half;
    for (const key of keys) {
      const next = (left ^ (mix32(right ^ key) & mask)) >>> 0;
      left = right;
      right = next;
    }
    return left * half + right;
  };
  return (index) => {
    let value = once(index);
    while (value >= size) value = once(value);
    return value;
  };
}

/** The county codes of the reference table. */
export function referenceCounties(): string[] {
  return loadDivisions()
    .filter((division) => division.level === 'county')
    .map((division) => division.code);
}

function parseDay(text: string, what: string): number {
  const time = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== text) throw new InputError(`${what} must be a real date written YYYY-MM-DD, not ${JSON.stringify(text)}.`);
  return time / dayMs;
}

/** Creates a person source; refuses counties that are not in the reference table. */
export function createPersonSource(options: PersonSourceOptions): PersonSource {
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) throw new InputError('The seed must be a whole number from 0 to 4294967295.');
  const known = new Set(referenceCounties());
  const counties = [...(options.counties ?? known)];
  if (counties.length === 0) throw new InputError('Give at least one county code for the ID numbers.');
  const unknown = counties.filter((code) => !known.has(code));
  if (unknown.length > 0) throw new InputError(`Not county codes of reference/gb-t-2260-divisions.csv: ${unknown.join(', ')}.`, { unknown });
  const firstDay = parseDay(options.bornFrom ?? '1950-01-01', 'bornFrom');
  const lastDay = parseDay(options.bornTo ?? '2005-12-31', 'bornTo');
  if (lastDay < firstDay) throw new InputError('bornTo must not be before bornFrom.');
  const days = lastDay - firstDay + 1;
  // A slot is (county, birth day, sequence pair); the sex picks the odd or even member of the pair.
  const capacity = counties.length * days * 500;
  const permute = createPermutation(capacity, options.seed);
  const random = seededRandom(mix32(options.seed ^ 0x5eed));
  let index = 0;
  return {
    capacity,
    counties,
    random,
    next() {
      if (index >= capacity) throw new InputError(`These counties and birth years hold only ${capacity} distinct ID numbers.`);
      const slot = permute(index);
      index += 1;
      const county = counties[slot % counties.length]!;
      const rest = Math.floor(slot / counties.length);
      const birthDate = new Date((firstDay + (rest % days)) * dayMs).toISOString().slice(0, 10);
      const pair = Math.floor(rest / days);
      const sex: '1' | '2' = random() < 0.5 ? '1' : '2';
      // GB 11643: the sequence code's last digit is odd for men, even for women.
      const sequence = pair * 2 + (sex === '1' ? 1 : 0);
      const first17 = `${county}${birthDate.replace(/-/g, '')}${String(sequence).padStart(3, '0')}`;
      return { idNumber: first17 + idCheckChar(first17), name: drawName(random, sex), sex, birthDate, division: county };
    },
  };
}
