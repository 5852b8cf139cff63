// ETag and If-Match for the balance routes. The tag is the item's version, a strong validator:
// it changes with every write of the item (the API's and the shipping transaction's), and
// If-Match is compared strongly (RFC 9110 13.1.1), so a weak tag could never match.
import type { WriteCondition } from '../adapters/balanceStore';
import { HttpError } from './errors';

export const etag = (version: number): string => `"${version}"`;

/**
 * The condition an If-Match header puts on a write: `*` asks only that the item exists; a list
 * of tags asks that its version is one of them. Weak tags and tags this API never issued match
 * nothing. Without the header there is no condition: the last writer wins.
 */
export function writeCondition(headers: Record<string, string>): WriteCondition | undefined {
  const ifMatch = headers['if-match']?.trim();
  if (ifMatch === undefined) return undefined;
  if (ifMatch === '*') return { exists: true };
  // Not a list of entity-tags (e.g. a version without its quotes): it matches no version, so the
  // precondition fails (412, RFC 9110 13.1.1), with the form that would have matched.
  if (!ENTITY_TAG_LIST.test(ifMatch)) throw new HttpError(412, 'If-Match matches no version: send * or an ETag exactly as this API answered it, quotes included (e.g. "3"); nothing was changed.');
  const versions = [...ifMatch.matchAll(/(W\/)?"([^"]*)"/g)].filter(([, weak, tag]) => !weak && /^\d{1,15}$/.test(tag ?? '')).map(([, , tag]) => Number(tag));
  return { versions: [...new Set(versions)] };
}

/** RFC 9110's If-Match list of entity-tags: `"3"`, `W/"3"`, `"3", "4"`. */
const ENTITY_TAG_LIST = /^(W\/)?"[\x21\x23-\x7E]*"( *, *(W\/)?"[\x21\x23-\x7E]*")*$/;
