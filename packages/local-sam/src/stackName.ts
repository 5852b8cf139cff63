// The stack name a local run uses when none is given: what `sam deploy` would use (samconfig.toml's
// stack_name, in [default.deploy.parameters] or [default.global.parameters]), else the app's
// folder name. Physical names derive from it (`<stack>-<LogicalId>`), as on AWS.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** stack_name of the default environment in a samconfig.toml's text, if it sets one. */
export function samconfigStackName(toml: string): string | undefined {
  let section = '';
  const found: Record<string, string> = {};
  for (const raw of toml.split('\n')) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) section = (header[1] as string).trim();
    const value = /^stack_name\s*=\s*["']([^"']+)["']/.exec(line);
    if (value) found[section] = value[1] as string;
  }
  return found['default.deploy.parameters'] ?? found['default.global.parameters'];
}

/** A CloudFormation stack name (letters, digits, dashes; a letter first) made from a folder's name. */
export function stackNameOf(folder: string): string {
  const name = folder.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^[^A-Za-z]+/, '').replace(/-+$/, '');
  return name || 'local-stack';
}

export function defaultStackName(templatePath: string): string {
  const dir = dirname(templatePath);
  const samconfig = join(dir, 'samconfig.toml');
  return (existsSync(samconfig) ? samconfigStackName(readFileSync(samconfig, 'utf8')) : undefined) ?? stackNameOf(basename(dir));
}
