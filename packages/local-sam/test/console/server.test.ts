import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Observations } from '../../src/console/observations';
import { pipelineOf } from '../../src/console/pipeline';
import type { ConsolePanel } from '../../src/console/panels';
import { startConsole, type ConsoleState, type LocalConsole } from '../../src/console/server';
import { EMULATORS, provisionedStack } from '../support/provisionedStack';

const sqsMock = mockClient(SQSClient);
const dynamoMock = mockClient(DynamoDBClient);

let server: Server;
let base: string;
let localConsole: LocalConsole;
let queueCount: number;
const observations = new Observations();

/** An app's panel: how many rows its table has. */
const ticketsPanel: ConsolePanel = {
  id: 'tickets',
  title: 'Tickets',
  async read({ dynamodb, stack }) {
    const table = stack.tables.find((candidate) => candidate.logicalId === 'TicketTable');
    if (!table) return { unavailable: 'no TicketTable' };
    const { Count = 0 } = await dynamodb.send(new ScanCommand({ TableName: table.name, Select: 'COUNT' }));
    return { summary: `${Count} in the table`, counts: [{ label: 'OPEN', value: Count, tone: 'waiting' }], items: [] };
  },
};

beforeAll(async () => {
  const { stack, definitions } = await provisionedStack();
  queueCount = stack.queues.length;
  localConsole = startConsole({
    stack,
    pipeline: pipelineOf({ stack, api: undefined, functions: definitions, eventSources: [], schedules: [] }),
    observations,
    ...EMULATORS,
    assetsDir: join(__dirname, '..', '..', 'src', 'console'),
    panels: [ticketsPanel],
    log: () => undefined,
  });
  server = createServer((request, response) => localConsole.serve(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  sqsMock.reset();
  dynamoMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' } });
  dynamoMock.on(ScanCommand).resolves({ Items: [] });
});

afterAll(async () => {
  await localConsole.stop();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface ServerEvent {
  event: string;
  data: unknown;
}

/** The console's event stream, as a page reads it. */
function openEvents() {
  const received: ServerEvent[] = [];
  let onEvent = () => undefined as void;
  const request = httpRequest(`${base}/console/events`, (response) => {
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) received.push({ event, data: JSON.parse(data) });
      }
      onEvent();
    });
  });
  request.on('error', () => undefined);
  request.end();
  return {
    received,
    until: (done: (events: ServerEvent[]) => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => (done(received) ? resolve() : void (onEvent = check));
        check();
      }),
    close: () => request.destroy(),
  };
}

const states = (events: ServerEvent[]) => events.filter((event) => event.event === 'state').length;
/** Lets sockets and promises settle (fake timers leave setImmediate alone). */
const settle = async () => {
  for (let round = 0; round < 10; round += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('the console’s server side', () => {
  it('serves its page, script and styles, and reads no emulator for them', async () => {
    for (const [path, type] of [
      ['/console/', 'text/html; charset=utf-8'],
      ['/console/console.js', 'text/javascript; charset=utf-8'],
      ['/console/console.css', 'text/css; charset=utf-8'],
    ]) {
      const response = await fetch(`${base}${path}`);
      expect([path, response.status, response.headers.get('content-type')]).toEqual([path, 200, type]);
    }
    expect(sqsMock.calls()).toHaveLength(0);
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('redirects /console to /console/, so the page’s relative links resolve', async () => {
    const response = await fetch(`${base}/console`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/console/');
  });

  it('answers an unknown path with 404 and a wrong method with 405, in JSON', async () => {
    const missing = await fetch(`${base}/console/secrets.txt`);
    expect([missing.status, await missing.json()]).toEqual([404, { message: 'No /console/secrets.txt in the console.' }]);
    const wrongMethod = await fetch(`${base}/console/`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    const getRedrive = await fetch(`${base}/console/redrive/CloseTicketDeadLetterQueue`);
    expect(getRedrive.status).toBe(405);
  });

  it('streams the pipeline, then the state with each queue’s depth and the app’s panels read from the emulators', async () => {
    const stream = openEvents();
    await stream.until((events) => states(events) >= 1);
    stream.close();
    expect(stream.received[0]).toMatchObject({ event: 'pipeline', data: { stackName: 'helpdesk' } });
    const state = stream.received.find((event) => event.event === 'state')?.data as ConsoleState;
    expect(state.queues.CloseTicketQueue).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect(state.panels).toEqual([{ id: 'tickets', title: 'Tickets', summary: '0 in the table', counts: [{ label: 'OPEN', value: 0, tone: 'waiting' }], items: [] }]);
    expect(dynamoMock.commandCalls(ScanCommand)[0]?.args[0].input.TableName).toBe('helpdesk-TicketTable');
  });

  it('pushes the state again each second while a page is connected, and stops reading the emulators when none is', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const stream = openEvents();
      await stream.until((events) => states(events) >= 1);
      await settle();
      const before = states(stream.received);
      jest.advanceTimersByTime(1000);
      await stream.until((events) => states(events) > before);

      stream.close();
      await settle();
      const reads = () => sqsMock.commandCalls(GetQueueAttributesCommand).length;
      const afterClose = reads();
      for (let second = 0; second < 5; second += 1) {
        jest.advanceTimersByTime(1000);
        await settle();
      }
      // At most the refresh under way when the page left still reads (one call per queue).
      expect(reads() - afterClose).toBeLessThanOrEqual(queueCount);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a redrive asked for by another site’s page, and moves nothing', async () => {
    const response = await fetch(`${base}/console/redrive/CloseTicketDeadLetterQueue`, { method: 'POST', headers: { Origin: 'http://evil.example' } });
    expect(response.status).toBe(403);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('refuses to redrive a queue that is no dead-letter queue of the stack', async () => {
    for (const queue of ['CloseTicketQueue', 'NoSuchQueue']) {
      const response = await fetch(`${base}/console/redrive/${queue}`, { method: 'POST' });
      expect([queue, response.status, await response.json()]).toEqual([queue, 404, { message: `${queue} is not a dead-letter queue of this stack.` }]);
    }
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('redrives a dead-letter queue into the queue whose redrive policy names it', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm', ReceiptHandle: 'r', Body: 'poison' }] });
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'new', MD5OfMessageBody: '' }] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({});
    const response = await fetch(`${base}/console/redrive/CloseTicketDeadLetterQueue`, { method: 'POST', headers: { Origin: base } });
    expect([response.status, await response.json()]).toEqual([200, { moved: 1, from: 'CloseTicketDeadLetterQueue', to: 'CloseTicketQueue' }]);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(`${EMULATORS.messagingEndpoint}/000000000000/helpdesk-CloseTicketQueue`);
  });
});
