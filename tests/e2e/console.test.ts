// The live console at /console in a real browser: CHROMIUM_PATH, else Debian's chromium, driven by
// playwright-core (which downloads no browser of its own: scripts/ensure-browser.sh provides one).
// It loads without errors, shows an order go from PENDING to SHIPPED while the page is open, and a
// poison message's dead letter, which it then redrives.
// The screenshot it takes is .local/e2e/console.png (docs/console.png is one from a good run).
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { E2E_DIR } from './support/stackSetup';
import { baseUrl, call, stackState, uniqueId } from './support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Headless, and none of Chromium's own connections (updates, sync, QUIC probes), which this
// machine's closed network refuses and which would only slow the page down.
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SCREENSHOT = join(E2E_DIR, 'console.png');

const state = stackState();
const env = state.sdkEnvironment;
const sqs = new SQSClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_SQS, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' } });
const queueUrl = (logicalId: string) => state.queues[logicalId]?.url ?? '';

let profile: string;
let browser: BrowserContext;
let page: Page;
const browserErrors: string[] = [];

beforeAll(async () => {
  // Under `npx jest` (no npm pre-script) a missing browser is one sentence, not Playwright's trace.
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`No Chromium at ${CHROMIUM}: run scripts/ensure-browser.sh, which installs it or says what to install.`);
  }
  profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1600, height: 1000 } });
  page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(message.text());
  });
  page.on('pageerror', (error) => browserErrors.push(error.message));
  await page.goto(`${baseUrl()}/console`);
});

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  sqs.destroy();
});

const figure = async (node: string, name: string) => Number((await page.locator(`[data-node="${node}"] [data-figure="${name}"]`).textContent())?.replace(/,/g, ''));

describe('the live console', () => {
  it('loads, connects and draws every function of the template with its figures', async () => {
    await page.locator('#connection[data-state="live"]').waitFor();
    for (const fn of ['OrderApiFunction', 'BalanceCheckerFunction', 'StockCheckerFunction', 'OrderUpdateFunction', 'ShipOrderFunction', 'OrderSweeperFunction']) {
      await page.locator(`[data-node="${fn}"] [data-figure="invocations"]`).waitFor();
    }
    expect(await page.locator('[data-node="ShipOrderQueue"] [data-dead-letter-queue="ShipOrderDeadLetterQueue"]').count()).toBe(1);
    expect(browserErrors).toEqual([]);
  });

  it('shows an order placed while it is open go from PENDING to SHIPPED', async () => {
    const customerId = uniqueId('console');
    const productId = uniqueId('console-item');
    await call('POST', '/account', { customerId, balance: 500 });
    await call('POST', '/stock', { productId, balance: 10 });
    // The check results wait 5 s on their queue (an SQS delay), so the order is PENDING for longer
    // than the page takes to refresh; the queue's own delay is put back at once.
    const updates = queueUrl('OrderUpdateQueue');
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: updates, AttributeNames: ['DelaySeconds'] }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: updates, Attributes: { DelaySeconds: '5' } }));
    let orderId: string;
    try {
      const placed = await call<{ orderId: string }>('POST', '/order', { customerId, items: [{ productId, qty: 2 }], totalAmount: 120.5 });
      expect(placed.status).toBe(202);
      orderId = placed.body.orderId;
      await page.locator(`[data-panel="orders"] [data-item="${orderId}"][data-status="PENDING"]`).waitFor({ timeout: 15_000 });
    } finally {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: updates, Attributes: { DelaySeconds: Attributes?.DelaySeconds ?? '0' } }));
    }
    const shipped = page.locator(`[data-panel="orders"] [data-item="${orderId}"][data-status="SHIPPED"]`);
    await shipped.waitFor({ timeout: 20_000 });
    expect(await shipped.locator('.logs li').allTextContents()).toEqual(expect.arrayContaining(['Shipped: charged 120.50, stock deducted']));
  });

  it('shows the dead letter of a poison message, and moves it back to its queue on Redrive', async () => {
    await page.locator('[data-node="ShipOrderQueue"] [data-figure="deadLetters"]').filter({ hasText: /^\d/ }).waitFor();
    const before = await figure('ShipOrderQueue', 'deadLetters');
    const poison = `not json ${uniqueId('poison')}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl('ShipOrderQueue'), MessageBody: poison }));
    // Evaluated in the page (a string: this project's TypeScript has no DOM types).
    await page.waitForFunction(`Number(document.querySelector('[data-node="ShipOrderQueue"] [data-figure="deadLetters"]')?.textContent) > ${before}`, undefined, { timeout: 30_000 });
    mkdirSync(E2E_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    const redrive = page.locator('[data-redrive="ShipOrderDeadLetterQueue"]');
    await redrive.click();
    await page.locator('#notice').filter({ hasText: /^Moved [1-9]\d* messages? from ShipOrderDeadLetterQueue back to ShipOrderQueue\.$/ }).waitFor();
    // Back in its queue it fails again, and returns only after MaxReceiveCount receives (seconds);
    // other tests' poison messages may be in the dead-letter queue meanwhile, this one is not.
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl('ShipOrderDeadLetterQueue'), MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    expect(Messages.map((message) => message.Body)).not.toContain(poison);
  });

  it('logged no error in the browser meanwhile', () => {
    expect(browserErrors).toEqual([]);
  });
});
