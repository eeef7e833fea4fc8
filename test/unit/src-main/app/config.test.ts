import { describe, expect, test } from 'vitest';
import { loadMainConfig, MainConfigError } from '../../../../src-main/app/config.js';

describe('loadMainConfig', () => {
  test('defaults to the local server on port 8000', () => {
    expect(loadMainConfig({}, [])).toEqual({ serverUrl: 'http://127.0.0.1:8000', serverOrigin: 'http://127.0.0.1:8000', isDevToolsEnabled: false });
  });

  test('takes the server from the launcher argument over the environment', () => {
    const config = loadMainConfig({ FLAGDESK_SERVER_URL: 'http://127.0.0.1:1111' }, ['electron', '.', '--flagdesk-server-url=http://127.0.0.1:43210']);
    expect(config).toMatchObject({ serverUrl: 'http://127.0.0.1:43210', serverOrigin: 'http://127.0.0.1:43210' });
  });

  test('reads the user-data folder and devtools switch from the environment', () => {
    expect(loadMainConfig({ FLAGDESK_USER_DATA_DIR: '/tmp/u', FLAGDESK_DEVTOOLS: '1' }, [])).toMatchObject({ userDataDir: '/tmp/u', isDevToolsEnabled: true });
  });

  test('refuses a server that is not an http(s) origin, naming the variable', () => {
    expect(() => loadMainConfig({ FLAGDESK_SERVER_URL: 'file:///tmp/index.html' }, [])).toThrow(MainConfigError);
    expect(() => loadMainConfig({ FLAGDESK_SERVER_URL: 'file:///tmp/index.html' }, [])).toThrow(/FLAGDESK_SERVER_URL/);
    expect(() => loadMainConfig({}, ['--flagdesk-server-url=http://x/some/path'])).toThrow(/--flagdesk-server-url/);
  });
});
