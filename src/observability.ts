import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger per function; its service name comes from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger();
