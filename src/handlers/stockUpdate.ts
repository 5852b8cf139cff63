// StockUpdateFunction: POST /stock and GET /stock/{productId}.
import { stockStore, type Balance } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { requiredEnv } from '../config';
import { apiHandler, type ApiRequest } from '../http/apiHandler';
import { notFound } from '../http/errors';
import { logger } from '../observability';

const stock = stockStore(dynamo, requiredEnv('STOCK_TABLE_NAME'));

const stockView = (product: Balance<number>) => ({ productId: product.id, balance: product.balance, updatedAt: product.updatedAt });

export const handler = apiHandler(
  {
    async setStockBalance(request: ApiRequest<{ productId: string; balance: number }>) {
      return { statusCode: 200, body: stockView(await stock.set(request.body.productId, request.body.balance)) };
    },
    async getStock(request) {
      const product = await stock.get(request.pathParameters.productId ?? '');
      if (!product) throw notFound('The product');
      return { statusCode: 200, body: stockView(product) };
    },
  },
  logger,
);
