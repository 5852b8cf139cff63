// The file `local-sam start` writes for `sam local invoke --env-vars` (also start-api and start-lambda):
// SAM's format, {"<LogicalId>": {"VAR": "value"}, "Parameters": {...for every function}}. Each
// function gets its template variables (Globals merged) resolved to this stack's tables, queues and
// topic; Parameters holds the SDK's endpoint variables. SAM runs a function in a container, so
// every emulator address in them becomes host.docker.internal with the emulator's port.
//
// SAM CLI (1.170, samcli/local/lambdafn/env_vars.py) applies a value only to a variable the
// function declares in the template: template.yaml's Globals declare the endpoint variables (empty,
// which the SDK ignores on AWS) for that reason.
import type { ProvisionedStack } from './provision';
import { templateVariables } from './functions';

export const CONTAINER_HOST = 'host.docker.internal';

export type SamEnvVars = Record<string, Record<string, string>>;

export function samEnvVars(stack: ProvisionedStack, emulators: { dynamoEndpoint: string; messagingEndpoint: string }): SamEnvVars {
  const origins = [emulators.dynamoEndpoint, emulators.messagingEndpoint].map((endpoint) => new URL(endpoint));
  const fromContainer = (value: string): string => {
    const emulator = origins.find((origin) => value === origin.origin || value.startsWith(`${origin.origin}/`));
    return emulator ? `http://${CONTAINER_HOST}:${emulator.port}${value.slice(emulator.origin.length)}` : value;
  };
  const parameters = {
    AWS_ENDPOINT_URL_DYNAMODB: fromContainer(emulators.dynamoEndpoint),
    AWS_ENDPOINT_URL_SNS: fromContainer(emulators.messagingEndpoint),
    AWS_ENDPOINT_URL_SQS: fromContainer(emulators.messagingEndpoint),
  };
  const file: SamEnvVars = { Parameters: parameters };
  for (const fn of stack.functions) {
    // A function's own entry wins over Parameters in SAM: it must not carry what Parameters sets.
    const own = Object.entries(templateVariables(stack, fn.logicalId)).filter(([name]) => !(name in parameters));
    file[fn.logicalId] = Object.fromEntries(own.map(([name, value]) => [name, fromContainer(value)]));
  }
  return file;
}
