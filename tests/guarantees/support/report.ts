// Each guarantee test records what it did and saw, in figures, next to its stack's log
// (.local/guarantees/<name>/summary.json), and prints it in one line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUARANTEES_DIR } from './localStack';

export function recordSummary(name: string, summary: Record<string, unknown>): void {
  writeFileSync(join(GUARANTEES_DIR, name, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`[guarantees] ${name}: ${JSON.stringify(summary)}\n`);
}
