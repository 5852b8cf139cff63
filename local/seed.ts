// `npm run seed` (against a running stack) or `npm start -- --seed` (local-sam.config.ts): demo
// accounts and stock through the HTTP API (the data the original Postman collection expects).
// Target: --url, else BASE_URL, else http://127.0.0.1:$PORT (3000).
import { parseArgs } from 'node:util';

export const DEMO_DATA = {
  accounts: [
    { customerId: 'aaa789', balance: 1000 },
    { customerId: 'bbb968', balance: 1000 },
  ],
  stock: [
    { productId: '456', balance: 100 },
    { productId: '789', balance: 100 },
  ],
};

export async function seed(baseUrl: string, apiKey?: string, log: (line: string) => void = console.log): Promise<void> {
  const requests = [
    ...DEMO_DATA.accounts.map((account) => ['/account', account] as const),
    ...DEMO_DATA.stock.map((stock) => ['/stock', stock] as const),
  ];
  for (const [path, body] of requests) {
    const response = await fetch(new URL(path, baseUrl), { method: 'POST', headers: { 'Content-Type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) }, body: JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path} ${JSON.stringify(body)} answered ${response.status}: ${text}`);
    log(`POST ${path} -> ${response.status} ${text}`);
  }
}

if (require.main === module) {
  const { values } = parseArgs({ options: { url: { type: 'string' } } });
  const baseUrl = values.url ?? process.env.BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  seed(baseUrl).catch((error: unknown) => {
    console.error(`Seeding ${baseUrl} failed: ${error instanceof Error ? error.message : String(error)} (is \`npm start\` running?)`);
    process.exit(1);
  });
}
