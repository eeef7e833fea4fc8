import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from './config.js';

/**
 * The server's logger. `json`: one pino object per line on stdout, for a log collector (production).
 * `pretty`: pino-pretty's readable lines (`12:03:04 INFO: database migrated`), for a person at a terminal.
 * pino-pretty runs as a synchronous stream in this thread rather than as a worker transport, so its
 * lines stay in order with the plain startup lines the entry points print.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): Logger {
  if (config.logFormat === 'json') return pino({ level: config.logLevel });
  return pino({ level: config.logLevel }, pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true }));
}
