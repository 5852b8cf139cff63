// How a conditional write recognises its own success. The SDK resends a write whose answer was
// lost; if the first try had landed, the retry's condition now fails. So each such write leaves its
// own token on the item, the item keeps the last three, and a condition failure reads the item back
// (ReturnValuesOnConditionCheckFailure: ALL_OLD): finding its token there, the write knows it took
// effect. Three deep, so that two other writes landing between the try and the retry cannot hide it.
import { randomUUID } from 'node:crypto';

const TOKENS = ['writeToken1', 'writeToken2', 'writeToken3'] as const;

/** The SET clauses that record a write's token (`:token`) and shift the older ones down. */
export const KEEP_WRITE_TOKEN = `${TOKENS[0]} = :token, ${TOKENS.slice(1)
  .map((name, index) => `${name} = if_not_exists(${TOKENS[index] as string}, :noToken)`)
  .join(', ')}`;

/** A fresh token, and the expression values KEEP_WRITE_TOKEN needs. */
export function newWriteToken(): { token: string; values: { ':token': string; ':noToken': string } } {
  const token = randomUUID();
  return { token, values: { ':token': token, ':noToken': '' } };
}

/** Whether the item (as a condition failure handed it back) carries this write's token. */
export const writtenBy = (item: Record<string, unknown> | undefined, token: string): boolean => item !== undefined && TOKENS.some((name) => item[name] === token);
