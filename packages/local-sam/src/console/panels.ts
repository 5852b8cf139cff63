// The app's own panels in the console: each reads what it shows from the emulators (its read()
// gets clients on their own endpoints and the provisioned stack) and returns counts and items in
// a shape the page draws without knowing the app. Example, a panel of the newest rows of a table:
//
//   const notes: ConsolePanel = {
//     id: 'notes',
//     title: 'Notes',
//     async read({ dynamodb, stack }) {
//       const table = stack.tables.find((t) => t.logicalId === 'NotesTable')!.name;
//       const { Items = [], Count = 0 } = await dynamodb.send(new ScanCommand({ TableName: table, Limit: 10 }));
//       return { summary: `${Count} read`, items: Items.map((item) => ({ id: item.id!.S!, facts: item.text?.S })) };
//     },
//   };
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ProvisionedStack } from '../provision';

/** A colour the page gives a count or an item: waiting (amber), progress (blue), good (green), bad (red). */
export type PanelTone = 'waiting' | 'progress' | 'good' | 'bad';

export interface PanelCount {
  label: string;
  value: number;
  tone?: PanelTone;
}

export interface PanelItem {
  /** Unique within the panel; the page marks the item with it (data-item). */
  id: string;
  /** A short state, shown as a badge (data-status). */
  status?: string;
  tone?: PanelTone;
  /** One line of facts beside the id. */
  facts?: string;
  /** Shown when the item is opened (e.g. its log lines); the first item starts open. */
  lines?: string[];
}

export interface PanelView {
  /** A few words beside the title, e.g. how many there are in all. */
  summary?: string;
  counts?: PanelCount[];
  items?: PanelItem[];
}

export interface PanelContext {
  stack: ProvisionedStack;
  /** Clients on the emulators' own endpoints: what a panel reads bypasses any fault injection. */
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
}

export interface ConsolePanel {
  /** Letters, digits and dashes; the page marks the panel with it (data-panel). */
  id: string;
  title: string;
  /** Called about once a second while a page is connected; a slow read is called less often (four times its duration apart). */
  read(context: PanelContext): Promise<PanelView | { unavailable: string }>;
}

export type PanelState = { id: string; title: string } & (PanelView | { unavailable: string });

/** A read that takes long (a scan of a large table) runs no more often than this many times its own duration. */
const READ_SPACING = 4;

/** Reads every panel that is due; one that fails keeps its last view and adds a problem. */
export function readPanels(panels: ConsolePanel[], context: PanelContext, refreshMs: number) {
  for (const panel of panels) if (!/^[A-Za-z0-9-]+$/.test(panel.id)) throw new Error(`Console panel id ${JSON.stringify(panel.id)}: use letters, digits and dashes`);
  const views = new Map<string, PanelView | { unavailable: string }>(panels.map((panel) => [panel.id, {}]));
  const due = new Map<string, number>();
  return {
    async read(problems: string[]): Promise<PanelState[]> {
      await Promise.all(
        panels.map(async (panel) => {
          if (Date.now() < (due.get(panel.id) ?? 0)) return;
          const started = performance.now();
          try {
            views.set(panel.id, await panel.read(context));
          } catch (error) {
            problems.push(`${panel.title}: ${(error as Error).message}`);
          }
          due.set(panel.id, Date.now() + Math.max(refreshMs, READ_SPACING * (performance.now() - started)));
        }),
      );
      return panels.map((panel) => ({ id: panel.id, title: panel.title, ...views.get(panel.id) }));
    },
  };
}
