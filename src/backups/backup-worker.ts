// The body of the backup thread (src/backups/backup-schedule.ts): one verified backup, off the
// server's event loop, on connections of its own; the outcome goes back as the thread's message.
import { parentPort, workerData } from 'node:worker_threads';
import { verifiedBackup } from './verified-backup.js';

const { sourcePath, target } = workerData as { sourcePath: string; target: string };
try {
  parentPort!.postMessage({ outcome: await verifiedBackup(sourcePath, target) });
} catch (error) {
  parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
