import { backendEntries } from '../../backends/registry.js';

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
  for (const row of rows) {
    process.stdout.write(`${row.name.padEnd(12)} ${row.available ? 'available  ' : 'unavailable'}  ${row.description}\n`);
    if (!row.available) process.stdout.write(`${' '.repeat(26)}${row.reason.replace(/\n/g, `\n${' '.repeat(26)}`)}\n`);
  }
}
