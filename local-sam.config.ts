// What the order app adds to its local stack (`npm start` is `local-sam start`, which loads this
// file): its stack name, the request validator the local gateway applies (the API's contract,
// as API Gateway validates it once deployed), the console's Orders panel, and the demo data
// `npm start -- --seed` puts in. local-sam's README describes each field.
import { defineApp } from 'local-sam';
import { ordersPanel } from './local/ordersPanel';
import { seed } from './local/seed';
import { operationContract } from './src/http/contract';

export default defineApp({
  stackName: 'order-capture',
  validator: operationContract,
  consolePanels: [ordersPanel],
  seed: async ({ url, apiKey }) => seed(url, apiKey),
});
