// StockUpdateFunction: POST /stock and GET /stock/{productId}.
import { stockStore, type Balance } from '../adapters/balanceStore';
import { dynamo } from '../adapters/clients/dynamo';
import { requiredEnv } from '../config';
import { apiHandler, type ApiRequest } from '../http/apiHandler';
import { etag, writeCondition } from '../http/etag';
import { notFound } from '../http/errors';
import { logger } from '../observability';

const stock = stockStore(dynamo, requiredEnv('STOCK_TABLE_NAME'));

const stockResult = (product: Balance<number>) => ({
  statusCode: 200,
  body: { productId: product.id, balance: product.balance, updatedAt: product.updatedAt },
  headers: { ETag: etag(product.version) },
});

export const handler = apiHandler(
  {
    async setStockBalance(request: ApiRequest<{ productId: string; balance: number }>) {
      return stockResult(await stock.set(request.body.productId, request.body.balance, writeCondition(request.headers)));
    },
    async getStock(request) {
      const product = await stock.get(request.pathParameters.productId ?? '');
      if (!product) throw notFound('The product');
      return stockResult(product);
    },
  },
  logger,
);
