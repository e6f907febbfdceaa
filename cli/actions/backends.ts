import { backendEntries } from '../../backends/registry.js';
import { COLUMNS, wrap } from '../wrap.js';

const NAME = 12;
const STATUS = 11;
const TEXT = ' '.repeat(NAME + 1 + STATUS + 2);

/** `rsn backends`: every backend, whether it loads here, and what to install when it does not. */
export async function backends(options: { json?: boolean }): Promise<void> {
  const rows = [];
  for (const entry of backendEntries()) {
    try {
      const backend = await entry.load();
      backend.close?.();
      rows.push({ name: entry.name, available: true, description: entry.description, reason: '' });
    } catch (error) {
      rows.push({ name: entry.name, available: false, description: entry.description, reason: (error as Error).message });
    }
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  // 80 columns: the description beside the name, why a backend does not load and what to do below it.
  for (const row of rows) {
    const head = `${row.name.padEnd(NAME)} ${(row.available ? 'available' : 'unavailable').padEnd(STATUS)}  `;
    process.stdout.write(`${wrap(row.description, COLUMNS, head, TEXT)}\n`);
    if (!row.available) {
      const [why, ...hints] = row.reason.split('\n  -> ');
      process.stdout.write(`${wrap(why!, COLUMNS, `${TEXT}why: `)}\n`);
      for (const hint of hints) process.stdout.write(`${wrap(hint, COLUMNS, `${TEXT}fix: `)}\n`);
    }
  }
}
