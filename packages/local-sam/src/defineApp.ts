// What an app adds to its local stack (app.ts loads it from local-sam.config.*). This module
// imports nothing at run time: a configuration bundles it, and nothing else of local-sam.
import type { ContractLookup } from './apiGateway';
import type { ConsolePanel } from './console/panels';
import type { LocalStackState } from './state';

export interface LocalSamApp {
  /** The stack name, which physical names derive from (`<stack>-<LogicalId>`); --stack-name overrides it. */
  stackName?: string;
  /**
   * The request validator of the local gateway: for a route (as API Gateway names it, `/notes/{id}`)
   * and a method (`GET`), the parameters and the body schema to check, or undefined to pass the
   * request on unchecked. API Gateway validates what the API definition declares; locally the app
   * says it here (apiGateway.ts, RequestContract).
   */
  validator?: ContractLookup;
  /** Panels of its own in the console (console/panels.ts). */
  consolePanels?: ConsolePanel[];
  /** Demo data, put in once the stack is ready when started with --seed (e.g. through the API). */
  seed?: (state: LocalStackState) => Promise<void>;
}

/** Types an app's configuration (it only returns it). */
export const defineApp = (app: LocalSamApp): LocalSamApp => app;
