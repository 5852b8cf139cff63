// Which DynamoDB partition keys the counted writes landed on, and with how many write units: the
// base table's partition key and each global secondary index's, read from the keys and values the
// requests themselves carry, so that the AWS-scale model (awsScale.ts) follows the design when it
// changes. The key schemas come from the CreateTable calls the stack made when it started.
import type { Observation } from './awsRequests';

export interface KeySchema {
  /** The table's partition key attribute. */
  partitionKey: string;
  /** Index name -> its partition key attribute (global secondary indexes; a local one shares the table's). */
  indexes: Record<string, string>;
}

/** Table name -> its key schema. */
export type KeySchemas = Record<string, KeySchema>;

type AttributeValue = { S?: string; N?: string; B?: string };
type AttributeMap = Record<string, AttributeValue | undefined>;

interface KeyElement {
  AttributeName?: string;
  KeyType?: string;
}

const hashKeyOf = (schema: unknown): string | undefined => ((schema ?? []) as KeyElement[]).find((element) => element.KeyType === 'HASH')?.AttributeName;

/** The key schema a CreateTable request declares. */
export function keySchemaOf(input: Record<string, unknown>): [string, KeySchema] | undefined {
  const table = input.TableName;
  const partitionKey = hashKeyOf(input.KeySchema);
  if (typeof table !== 'string' || !partitionKey) return undefined;
  const indexes: Record<string, string> = {};
  for (const index of (input.GlobalSecondaryIndexes ?? []) as { IndexName?: string; KeySchema?: unknown }[]) {
    const key = hashKeyOf(index.KeySchema);
    if (index.IndexName && key) indexes[index.IndexName] = key;
  }
  return [table, { partitionKey, indexes }];
}

export interface PartitionWrites {
  /** The partition key attribute. */
  attribute: string;
  /** Write units by partition key value. */
  units: Record<string, number>;
  /**
   * Index units of writes that do not name the partition they change: an update that REMOVEs the
   * index key, or a delete, takes the item out of the partition its old value named.
   */
  unnamedUnits: number;
}

/** `TableName` or `TableName/IndexName` -> what was written to its partitions. */
export type PartitionTally = Record<string, PartitionWrites>;

export function mergePartitions(into: PartitionTally, from: PartitionTally): PartitionTally {
  for (const [target, writes] of Object.entries(from)) {
    const entry = (into[target] ??= { attribute: writes.attribute, units: {}, unnamedUnits: 0 });
    for (const [value, units] of Object.entries(writes.units)) entry.units[value] = (entry.units[value] ?? 0) + units;
    entry.unnamedUnits += writes.unnamedUnits;
  }
  return into;
}

/** One item a write request changes. */
interface ItemWrite {
  table: string;
  /** Its key, or for a put the whole item. */
  attributes: AttributeMap;
  /** What the write does to an attribute other than through the item itself. */
  update?: UpdateClauses;
  kind: 'put' | 'update' | 'delete' | 'check';
}

/** An UpdateExpression's effect on top-level attributes: the value an attribute is SET to (undefined when computed), and those removed. */
interface UpdateClauses {
  set: Map<string, string | undefined>;
  removed: Set<string>;
}

const scalar = (value: AttributeValue | undefined): string | undefined => value?.S ?? value?.N ?? value?.B;

/** Splits at commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter(Boolean);
}

export function updateClauses(expression: string, names: Record<string, string> = {}, values: AttributeMap = {}): UpdateClauses {
  const clauses: UpdateClauses = { set: new Map(), removed: new Set() };
  const name = (path: string) => {
    const top = path.trim().split(/[.[]/)[0] ?? '';
    return names[top] ?? top;
  };
  for (const clause of expression.split(/\b(?=(?:SET|REMOVE|ADD|DELETE)\s)/i)) {
    const [, keyword = '', body = ''] = /^\s*(SET|REMOVE|ADD|DELETE)\s+([\s\S]*)$/i.exec(clause) ?? [];
    for (const action of splitTopLevel(body)) {
      switch (keyword.toUpperCase()) {
        case 'SET': {
          const [path = '', value = ''] = action.split(/=(.*)/s);
          const placeholder = value.trim();
          clauses.set.set(name(path), /^:[\w]+$/.test(placeholder) ? scalar(values[placeholder]) : undefined);
          break;
        }
        case 'REMOVE':
          clauses.removed.add(name(action));
          break;
        default:
          clauses.set.set(name(action.split(/\s+/)[0] ?? ''), undefined);
      }
    }
  }
  return clauses;
}

type WriteInput = { TableName?: string; Key?: AttributeMap; Item?: AttributeMap; UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: AttributeMap };

function itemWrite(kind: ItemWrite['kind'], input: WriteInput, table = input.TableName ?? ''): ItemWrite {
  return {
    table,
    kind,
    attributes: (kind === 'put' ? input.Item : input.Key) ?? {},
    ...(input.UpdateExpression ? { update: updateClauses(input.UpdateExpression, input.ExpressionAttributeNames, input.ExpressionAttributeValues) } : {}),
  };
}

/** The items a write request changes, in its order. */
function itemWrites(operation: string, input: Record<string, unknown>): ItemWrite[] {
  switch (operation) {
    case 'PutItem':
      return [itemWrite('put', input)];
    case 'UpdateItem':
      return [itemWrite('update', input)];
    case 'DeleteItem':
      return [itemWrite('delete', input)];
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { PutRequest?: WriteInput; DeleteRequest?: WriteInput }[]>).flatMap(([table, requests]) =>
        requests.map((entry) => (entry.PutRequest ? itemWrite('put', entry.PutRequest, table) : itemWrite('delete', entry.DeleteRequest ?? {}, table))),
      );
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Record<string, WriteInput | undefined>[]).flatMap((entry) => {
        if (entry.Put) return [itemWrite('put', entry.Put)];
        if (entry.Update) return [itemWrite('update', entry.Update)];
        if (entry.Delete) return [itemWrite('delete', entry.Delete)];
        if (entry.ConditionCheck) return [itemWrite('check', entry.ConditionCheck)];
        return [];
      });
    default:
      return [];
  }
}

type Units = { CapacityUnits?: number };
type Consumed = Units & { TableName?: string; Table?: Units; GlobalSecondaryIndexes?: Record<string, Units> };

/**
 * Whether a write changes the index whose partition key is `attribute`, and the partition it names
 * (undefined: it changes the index without naming the partition, a removal from the old one).
 */
function indexEffect(write: ItemWrite, attribute: string): { touches: boolean; value?: string } {
  if (write.kind === 'check') return { touches: false };
  if (write.kind === 'delete') return { touches: true };
  if (write.kind === 'put') {
    const value = scalar(write.attributes[attribute]);
    return value === undefined ? { touches: false } : { touches: true, value };
  }
  if (write.update?.set.has(attribute)) {
    const value = write.update.set.get(attribute);
    return value === undefined ? { touches: true } : { touches: true, value };
  }
  return { touches: write.update?.removed.has(attribute) === true };
}

const CAPACITY_CONSUMING_FAILURES = new Set(['ConditionalCheckFailedException', 'TransactionCanceledException']);

/**
 * Records where one observed write request's units went. A transaction's items are billed at least
 * 2 WRU each (DynamoDB Local reports one item's units per table); a write whose condition failed
 * still costs its item 1 WRU (2 in a transaction), as on AWS, and changes no index.
 */
export class PartitionLog {
  private tally: PartitionTally = {};

  record(observation: Observation, schemas: KeySchemas): void {
    if (observation.service !== 'DynamoDB') return;
    // Other failures (throttles, server errors) consume no capacity.
    if (observation.errorName && !CAPACITY_CONSUMING_FAILURES.has(observation.errorName)) return;
    const writes = itemWrites(observation.operation, observation.input);
    if (writes.length === 0) return;
    const transaction = observation.operation === 'TransactWriteItems';
    const byTable = new Map<string, ItemWrite[]>();
    for (const write of writes) byTable.set(write.table, [...(byTable.get(write.table) ?? []), write]);
    const consumed = (Array.isArray(observation.output?.ConsumedCapacity) ? observation.output.ConsumedCapacity : observation.output?.ConsumedCapacity ? [observation.output.ConsumedCapacity] : []) as Consumed[];
    for (const [table, items] of byTable) {
      const schema = schemas[table];
      if (!schema) continue;
      const floor = transaction ? 2 : 1;
      const entry = consumed.find((candidate) => candidate.TableName === table);
      const indexUnits = Object.values(entry?.GlobalSecondaryIndexes ?? {}).reduce((total, index) => total + (index.CapacityUnits ?? 0), 0);
      const tableUnits = observation.errorName ? floor * items.length : Math.max(entry?.Table?.CapacityUnits ?? (entry?.CapacityUnits ?? 0) - indexUnits, transaction ? floor * items.length : 0);
      for (const item of items) this.add(table, schema.partitionKey, scalar(item.attributes[schema.partitionKey]), tableUnits / items.length);
      if (observation.errorName) continue;
      for (const [index, attribute] of Object.entries(schema.indexes)) {
        const units = entry?.GlobalSecondaryIndexes?.[index]?.CapacityUnits ?? 0;
        if (units === 0) continue;
        const effects = items.map((item) => indexEffect(item, attribute));
        const touching = effects.filter((effect) => effect.touches);
        const share = units / Math.max(1, touching.length);
        if (touching.length === 0) this.add(`${table}/${index}`, attribute, undefined, units);
        for (const effect of touching) this.add(`${table}/${index}`, attribute, effect.value, share);
      }
    }
  }

  private add(target: string, attribute: string, value: string | undefined, units: number): void {
    const entry = (this.tally[target] ??= { attribute, units: {}, unnamedUnits: 0 });
    if (value === undefined) entry.unnamedUnits += units;
    else entry.units[value] = (entry.units[value] ?? 0) + units;
  }

  drain(): PartitionTally {
    const tally = this.tally;
    this.tally = {};
    return tally;
  }

  get empty(): boolean {
    return Object.keys(this.tally).length === 0;
  }
}
