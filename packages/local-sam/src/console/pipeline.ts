// The system as template.yaml defines it, as a graph for the console: the API and the schedules
// invoke functions; functions send to the topics and queues their environment names; topics
// deliver to the queues subscribed to them; queues feed the functions whose event sources poll
// them. Dead-letter queues belong to the queue whose redrive policy names them. Columns follow the
// longest path from an entry point, so the flow reads left to right.
import type { LocalApi } from '../apiServer';
import type { FunctionDefinition } from '../functions';
import type { SqsEventSource } from '../poller';
import type { ProvisionedQueue, ProvisionedStack } from '../provision';
import type { ScheduleSource } from '../scheduler';
import { resourceReferences } from '../template';

export type NodeKind = 'api' | 'schedule' | 'function' | 'topic' | 'queue';

export interface PipelineNode {
  id: string;
  kind: NodeKind;
  /** Facts from the template, one short line each. */
  detail: string[];
  column: number;
  row: number;
  /** For a queue with a redrive policy: where its dead letters go, after how many receives. */
  deadLetterQueue?: { id: string; maxReceiveCount: number };
}

export interface PipelineEdge {
  from: string;
  to: string;
}

export interface Pipeline {
  stackName: string;
  nodes: PipelineNode[];
  edges: PipelineEdge[];
}

export interface PipelineSources {
  stack: ProvisionedStack;
  api: LocalApi | undefined;
  functions: FunctionDefinition[];
  eventSources: SqsEventSource[];
  schedules: ScheduleSource[];
}

interface Redrive {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export function redriveOf(queue: ProvisionedQueue): Redrive | undefined {
  return queue.attributes.RedrivePolicy ? (JSON.parse(queue.attributes.RedrivePolicy) as Redrive) : undefined;
}

export function pipelineOf({ stack, api, functions, eventSources, schedules }: PipelineSources): Pipeline {
  const nodes: Omit<PipelineNode, 'column' | 'row'>[] = [];
  const edges: PipelineEdge[] = [];
  const edge = (from: string, to: string) => {
    if (!edges.some((existing) => existing.from === from && existing.to === to)) edges.push({ from, to });
  };
  const deadLetterArns = new Set(stack.queues.flatMap((queue) => redriveOf(queue)?.deadLetterTargetArn ?? []));

  if (api) {
    nodes.push({ id: api.logicalId, kind: 'api', detail: [`stage ${api.stage}`] });
  }
  for (const schedule of schedules) {
    nodes.push({ id: `${schedule.functionLogicalId}${schedule.eventName}`, kind: 'schedule', detail: [schedule.expression, ...(schedule.notRunLocally ? ['not run locally'] : [])] });
    edge(`${schedule.functionLogicalId}${schedule.eventName}`, schedule.functionLogicalId);
  }
  for (const fn of functions) {
    const routes = (api?.routes ?? []).flatMap((route) =>
      // ANY beside explicit methods only answers the others (405), as in the startup summary.
      [...Object.entries(route.methods), ...(route.anyMethod && Object.keys(route.methods).length === 0 ? [['ANY', route.anyMethod] as const] : [])]
        .filter(([, target]) => target.functionArn === fn.arn)
        .map(([method]) => `${method} ${route.resource}`),
    );
    const polled = eventSources.filter((source) => source.functionLogicalId === fn.logicalId);
    nodes.push({
      id: fn.logicalId,
      kind: 'function',
      detail: [
        ...routes,
        ...polled.map((source) => `batch ${source.batchSize}, ${source.concurrency} at a time`),
        `${fn.timeoutSeconds} s, ${fn.memorySize} MB`,
      ],
    });
    if (api && routes.length > 0) edge(api.logicalId, fn.logicalId);
    for (const target of resourceReferences(stack.template.resources[fn.logicalId]?.properties.Environment)) {
      const queue = stack.queues.find((candidate) => candidate.logicalId === target);
      if (stack.topics.some((topic) => topic.logicalId === target) || (queue && !deadLetterArns.has(queue.arn))) edge(fn.logicalId, target);
    }
  }
  for (const topic of stack.topics) {
    const subscriptions = stack.subscriptions.filter((subscription) => subscription.topicArn === topic.arn);
    nodes.push({ id: topic.logicalId, kind: 'topic', detail: [`${subscriptions.length} subscriptions`] });
    for (const subscription of subscriptions) {
      const queue = stack.queueByArn(subscription.endpoint);
      if (queue) edge(topic.logicalId, queue.logicalId);
    }
  }
  for (const queue of stack.queues) {
    if (deadLetterArns.has(queue.arn)) continue;
    const redrive = redriveOf(queue);
    const deadLetters = redrive && stack.queueByArn(redrive.deadLetterTargetArn);
    nodes.push({
      id: queue.logicalId,
      kind: 'queue',
      detail: queue.attributes.VisibilityTimeout ? [`visibility ${queue.attributes.VisibilityTimeout} s`] : [],
      ...(deadLetters && redrive ? { deadLetterQueue: { id: deadLetters.logicalId, maxReceiveCount: Number(redrive.maxReceiveCount) } } : {}),
    });
    for (const source of eventSources.filter((candidate) => candidate.queue.logicalId === queue.logicalId)) edge(queue.logicalId, source.functionLogicalId);
  }
  // A topic or queue that nothing sends to or reads takes no part in the flow (the alarm topic: alarms are not emulated).
  const connected = new Set(edges.flatMap(({ from, to }) => [from, to]));
  const shown = nodes.filter((node) => connected.has(node.id) || (node.kind !== 'topic' && node.kind !== 'queue'));
  return { stackName: stack.template.stackName, nodes: layout(shown, edges), edges };
}

/** Columns by longest path from the nodes nothing points at; rows ordered by where their inputs sit. */
function layout(nodes: Omit<PipelineNode, 'column' | 'row'>[], edges: PipelineEdge[]): PipelineNode[] {
  const column = new Map(nodes.map((node) => [node.id, 0]));
  // A cycle would grow forever: no path is longer than the number of nodes.
  for (let round = 0; round < nodes.length; round += 1) {
    let changed = false;
    for (const { from, to } of edges) {
      const next = (column.get(from) ?? 0) + 1;
      if (column.has(to) && next > (column.get(to) ?? 0)) {
        column.set(to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const row = new Map<string, number>();
  const columns = [...new Set(column.values())].sort((a, b) => a - b);
  for (const current of columns) {
    const inColumn = nodes.filter((node) => column.get(node.id) === current);
    const weight = (id: string) => {
      const inputs = edges.filter((e) => e.to === id && row.has(e.from)).map((e) => row.get(e.from) as number);
      return inputs.length === 0 ? Infinity : inputs.reduce((sum, value) => sum + value, 0) / inputs.length;
    };
    const ordered = inColumn.map((node, index) => ({ node, index, weight: weight(node.id) })).sort((a, b) => a.weight - b.weight || a.index - b.index);
    ordered.forEach(({ node }, index) => row.set(node.id, index));
  }
  return nodes.map((node) => ({ ...node, column: column.get(node.id) ?? 0, row: row.get(node.id) ?? 0 }));
}
