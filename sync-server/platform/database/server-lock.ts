import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * The marker a server leaves beside its SQLite database while it runs (`flagdesk.sqlite.server.pid`), so
 * `restore` can refuse to replace a database under a live server. A server that was killed leaves it
 * behind; its pid is then dead and the marker counts for nothing.
 */
function lockFile(sqliteFile: string): string {
  return `${sqliteFile}.server.pid`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Marks `sqliteFile` as served by this process; the returned function removes the mark if it is still ours. */
export function markServerRunning(sqliteFile: string): () => void {
  const file = lockFile(sqliteFile);
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    if (readPid(file) === process.pid) rmSync(file, { force: true });
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of a live server on `sqliteFile`, or undefined when none runs there. */
export function runningServerPid(sqliteFile: string): number | undefined {
  const pid = readPid(lockFile(sqliteFile));
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined;
}
