// JSON bodies read with every number judged as written. JSON.parse turns `187.780000000000001`
// into the float 187.78, which would then pass "at most 2 decimal places"; the reviver's
// source text (Node 22: `(key, value, context) => context.source`) shows what the client sent.
// A number is accepted when the float's shortest decimal form is the very number written (so
// `1.0`, `1e3` and `0.1` are exact), and refused when parsing changed it.
import type { FieldError } from '../domain/orderRequest';
import { toFieldPath } from './contract';

export const INEXACT_NUMBER = 'must be written exactly: it has more digits than a number holds (at most 15 significant digits)';

/** A number whose float is not what was written, kept in the tree until its path is known. */
class InexactNumber {
  constructor(readonly value: number) {}
}

/** `-1.50e2` -> `-15e1`: sign, significant digits and exponent, so equal numbers compare equal as text. */
function canonicalDecimal(text: string): string | undefined {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let scale = Number(exponent) - fraction.length;
  const trailing = /0*$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  scale += trailing;
  return `${sign}${digits}e${scale}`;
}

function reviver(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  return canonicalDecimal(context.source) === canonicalDecimal(String(value)) ? value : new InexactNumber(value);
}

/** Puts the floats back in place of the markers and says where they were. */
function collectInexact(node: unknown, location: string, errors: FieldError[]): unknown {
  if (node instanceof InexactNumber) {
    errors.push({ path: toFieldPath(location) || '(body)', message: INEXACT_NUMBER });
    return node.value;
  }
  if (Array.isArray(node)) {
    node.forEach((item, index) => (node[index] = collectInexact(item, `${location}/${index}`, errors)));
  } else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const revived = collectInexact(record[key], `${location}/${encodeURIComponent(key)}`, errors);
      // defineProperty, not assignment: a "__proto__" key is an own property here, not the prototype.
      if (revived !== record[key]) Object.defineProperty(record, key, { value: revived, writable: true, enumerable: true, configurable: true });
    }
  }
  return node;
}

/** Parses JSON text (throws as JSON.parse does) and lists the numbers that parsing would change. */
export function parseExactJson(text: string): { value: unknown; inexact: FieldError[] } {
  const inexact: FieldError[] = [];
  const value = collectInexact(JSON.parse(text, reviver), '#', inexact);
  return { value, inexact };
}
