/**
 * The logs of `npm start`'s own steps (embedded database, migrations, waiting for a database):
 * plain lines for a person at a terminal, JSON lines like every other log when the output goes
 * to a file or another program. The api and web servers always log JSON.
 */
import type { Logger } from 'pino';
import { createLogger } from '../logger.ts';

const LABELS: Record<string, string> = { warn: 'warning: ', error: 'error: ', fatal: 'error: ' };

/** `12:04:31 migrate: warning: database … not reachable yet …` from one pino JSON line. */
export function humanLine(json: string): string {
  let entry: { time?: string; level?: string; service?: string; msg?: string };
  try {
    entry = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = entry.time ? new Date(entry.time).toTimeString().slice(0, 8) : '';
  return `${time} ${entry.service ?? ''}: ${LABELS[entry.level ?? ''] ?? ''}${entry.msg ?? ''}\n`;
}

export function createLocalLogger(name: string, level: string, terminal = Boolean(process.stdout.isTTY)): Logger {
  if (!terminal) return createLogger({ level, name });
  return createLogger({ level, name, destination: { write: (line: string) => void process.stdout.write(humanLine(line)) } });
}
