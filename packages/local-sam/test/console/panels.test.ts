import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { readPanels, type ConsolePanel, type PanelContext } from '../../src/console/panels';
import type { ProvisionedStack } from '../../src/provision';

const context: PanelContext = { stack: {} as ProvisionedStack, dynamodb: {} as DynamoDBClient, sqs: {} as SQSClient };

describe('the app’s console panels', () => {
  it('are read in their order, each under its id and title', async () => {
    const panels: ConsolePanel[] = [
      { id: 'a', title: 'A', read: async () => ({ summary: 'one', counts: [{ label: 'OPEN', value: 1 }] }) },
      { id: 'b-2', title: 'B', read: async () => ({ unavailable: 'no table' }) },
    ];
    const problems: string[] = [];
    expect(await readPanels(panels, context, 0).read(problems)).toEqual([
      { id: 'a', title: 'A', summary: 'one', counts: [{ label: 'OPEN', value: 1 }] },
      { id: 'b-2', title: 'B', unavailable: 'no table' },
    ]);
    expect(problems).toEqual([]);
  });

  it('keep their last view when a read fails, and report the failure as a problem', async () => {
    jest.useFakeTimers();
    try {
      let fail = false;
      const reader = readPanels([{ id: 'a', title: 'A', read: async () => (fail ? Promise.reject(new Error('scan refused')) : { summary: 'fine' }) }], context, 1000);
      await reader.read([]);
      fail = true;
      jest.advanceTimersByTime(1000);
      const problems: string[] = [];
      expect(await reader.read(problems)).toEqual([{ id: 'a', title: 'A', summary: 'fine' }]);
      expect(problems).toEqual(['A: scan refused']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('are not read again before the refresh interval is over', async () => {
    jest.useFakeTimers();
    try {
      let reads = 0;
      const reader = readPanels([{ id: 'a', title: 'A', read: async () => ({ summary: String((reads += 1)) }) }], context, 1000);
      await reader.read([]);
      jest.advanceTimersByTime(999);
      expect(await reader.read([])).toEqual([{ id: 'a', title: 'A', summary: '1' }]);
      jest.advanceTimersByTime(1);
      expect(await reader.read([])).toEqual([{ id: 'a', title: 'A', summary: '2' }]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuse an id the page cannot use as a marker', () => {
    expect(() => readPanels([{ id: 'a b', title: 'A', read: async () => ({}) }], context, 0)).toThrow(/letters, digits and dashes/);
  });
});
