/**
 * Maps a JSON Pointer into a YAML (or JSON) document to the line and column it was written on,
 * so a validation message can say "line 23" as well as "/datasets/0/grants/0/to".
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A place in the source text, 1-based. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Finds where a JSON Pointer's target (or, if it is missing, its nearest ancestor) was written. */
export type SourceLocator = (pointer: string) => SourcePosition | undefined;

/** Splits a JSON Pointer into unescaped segments (RFC 6901). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Escapes one segment for a JSON Pointer. */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a JSON Pointer from segments. */
export function pointerOf(...segments: (string | number)[]): string {
  return segments.map((segment) => `/${escapePointerSegment(segment)}`).join('');
}

/** A locator over a parsed YAML document; `lineCounter` must be the one the parser filled. */
export function yamlSourceLocator(document: Document, lineCounter: LineCounter): SourceLocator {
  const at = (offset: number): SourcePosition => {
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  return (pointer) => {
    let node: unknown = document.contents;
    if (!isNode(node)) return undefined;
    let found: number | undefined = node.range?.[0];
    for (const segment of pointerSegments(pointer)) {
      if (isMap(node)) {
        const pair = node.items.find((candidate) => isScalar(candidate.key) && String(candidate.key.value) === segment);
        if (!pair) break;
        // A member is shown where its key is written: that is the line a person looks for.
        found = isNode(pair.key) ? pair.key.range?.[0] : found;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = Number(segment);
        const item: unknown = Number.isInteger(index) ? node.items[index] : undefined;
        if (!isNode(item)) break;
        found = item.range?.[0];
        node = item;
      } else {
        break;
      }
      if (!isNode(node)) break;
    }
    return found === undefined ? undefined : at(found);
  };
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}
