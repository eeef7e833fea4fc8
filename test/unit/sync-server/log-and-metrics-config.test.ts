import { expect, test } from 'vitest';
import { loadConfig } from '../../../sync-server/app/config.js';

test('logs are readable lines at a terminal and JSON elsewhere or in production, unless FLAGDESK_LOG_FORMAT says', () => {
  expect([
    loadConfig({}, true).logFormat,
    loadConfig({}, false).logFormat,
    loadConfig({ NODE_ENV: 'production' }, true).logFormat,
    loadConfig({ FLAGDESK_LOG_FORMAT: 'json' }, true).logFormat,
    loadConfig({ FLAGDESK_LOG_FORMAT: 'pretty', NODE_ENV: 'production' }, false).logFormat,
  ]).toEqual(['pretty', 'json', 'json', 'json', 'pretty']);
});

test('a bad FLAGDESK_LOG_FORMAT or a short FLAGDESK_METRICS_TOKEN stops the start, naming the variable', () => {
  expect(() => loadConfig({ FLAGDESK_LOG_FORMAT: 'xml' }, false)).toThrow(/FLAGDESK_LOG_FORMAT/);
  expect(() => loadConfig({ FLAGDESK_METRICS_TOKEN: 'short' }, false)).toThrow(/FLAGDESK_METRICS_TOKEN: Expected string length greater or equal to 16/);
  expect(loadConfig({ FLAGDESK_METRICS_TOKEN: 'sixteen-chars-ok' }, false).metricsToken).toBe('sixteen-chars-ok');
  expect(loadConfig({}, false).metricsToken).toBeUndefined();
});
