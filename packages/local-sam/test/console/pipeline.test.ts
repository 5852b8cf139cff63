import { localApi } from '../../src/apiServer';
import { pipelineOf, type Pipeline } from '../../src/console/pipeline';
import { sqsEventSources } from '../../src/poller';
import { scheduleSources } from '../../src/scheduler';
import { provisionedStack } from '../support/provisionedStack';

let pipeline: Pipeline;
let declared: (type: string) => string[];

beforeAll(async () => {
  const { stack, definitions } = await provisionedStack({ MaxReceiveCount: '3' });
  pipeline = pipelineOf({ stack, api: localApi(stack), functions: definitions, eventSources: sqsEventSources(stack, definitions), schedules: scheduleSources(definitions) });
  declared = (type) => Object.values(stack.template.resources).filter((resource) => resource.type === type).map((resource) => resource.logicalId);
});

const node = (id: string) => pipeline.nodes.find((candidate) => candidate.id === id);
const hasEdge = (from: string, to: string) => pipeline.edges.some((edge) => edge.from === from && edge.to === to);

describe('the console’s pipeline, derived from template.yaml', () => {
  it('shows every function of the template', () => {
    expect(pipeline.nodes.filter((candidate) => candidate.kind === 'function').map((candidate) => candidate.id).sort()).toEqual(declared('AWS::Serverless::Function').sort());
  });

  it('shows every queue with a redrive policy, each with its dead-letter queue inside it rather than as a queue of its own', () => {
    expect(node('CloseTicketQueue')).toMatchObject({ kind: 'queue', deadLetterQueue: { id: 'CloseTicketDeadLetterQueue', maxReceiveCount: 3 } });
    const queues = pipeline.nodes.filter((candidate) => candidate.kind === 'queue');
    expect(queues.every((queue) => queue.deadLetterQueue)).toBe(true);
    expect(queues.map((queue) => queue.id)).not.toContain('CloseTicketDeadLetterQueue');
  });

  it('follows an ticket from the API through the topic and every queue to the closer', () => {
    const flow = [
      ['HelpdeskApi', 'TicketApiFunction'],
      ['TicketApiFunction', 'TicketTopic'],
      ['TicketTopic', 'CapacityCheckerQueue'],
      ['TicketTopic', 'SeatCheckerQueue'],
      ['CapacityCheckerQueue', 'CapacityCheckerFunction'],
      ['SeatCheckerQueue', 'SeatCheckerFunction'],
      ['CapacityCheckerFunction', 'TicketUpdateQueue'],
      ['SeatCheckerFunction', 'TicketUpdateQueue'],
      ['TicketUpdateQueue', 'TicketUpdateFunction'],
      ['TicketUpdateFunction', 'CloseTicketQueue'],
      ['CloseTicketQueue', 'CloseTicketFunction'],
    ];
    expect(pipeline.edges).toEqual(expect.arrayContaining(flow.map(([from, to]) => ({ from, to }))));
  });

  it('starts the sweeper from its schedule, and the capacity functions from their routes', () => {
    expect(node('TicketSweeperFunctionEveryMinute')).toMatchObject({ kind: 'schedule', detail: ['rate(1 minute)'] });
    expect(hasEdge('TicketSweeperFunctionEveryMinute', 'TicketSweeperFunction')).toBe(true);
    expect(hasEdge('TicketSweeperFunction', 'CloseTicketQueue')).toBe(true);
    expect(node('TeamUpdateFunction')?.detail).toEqual(expect.arrayContaining(['POST /team', 'GET /team/{requesterId}']));
  });

  it('leaves out the alarm topic, which nothing delivers to locally', () => {
    expect(declared('AWS::SNS::Topic')).toContain('StackAlarmTopic');
    expect(node('StackAlarmTopic')).toBeUndefined();
  });

  it('draws every arrow from left to right, entry points first', () => {
    for (const edge of pipeline.edges) expect(node(edge.to)?.column).toBeGreaterThan(node(edge.from)?.column ?? Infinity);
    expect(node('HelpdeskApi')?.column).toBe(0);
  });

  it('gives each node a place of its own', () => {
    const places = pipeline.nodes.map((candidate) => `${candidate.column}:${candidate.row}`);
    expect(new Set(places).size).toBe(places.length);
  });
});
