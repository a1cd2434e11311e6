/**
 * A child process for the crash test: opens a store and creates keys as fast as it can,
 * printing "ack <key>" for every write the store acknowledged. The test SIGKILLs it and then
 * checks that every acknowledged key is present and whole.
 *
 * Usage: node crash-writer.js '<StoreConfig JSON>' <key prefix>
 */
import { pathToFileURL } from 'node:url';
import { openStore, type StoreConfig } from './open.js';

/** The value written for key number i: large enough to span pages, and self-checking. */
export function crashValue(i: number): string {
  const body = `${i}:`.padEnd(2000 + (i % 97), String.fromCharCode(97 + (i % 26)));
  return JSON.stringify({ i, body, len: body.length });
}

async function main(): Promise<void> {
  const [configJson, prefix] = process.argv.slice(2);
  if (!configJson || !prefix) throw new Error('usage: crash-writer <store config JSON> <key prefix>');
  const store = await openStore(JSON.parse(configJson) as StoreConfig);
  process.stdout.write('ready\n');
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const key = `${prefix}${String(i).padStart(8, '0')}`;
      await store.create(key, crashValue(i));
      process.stdout.write(`ack ${key}\n`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`crash-writer: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
