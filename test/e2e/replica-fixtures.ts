/**
 * The console errors a page logs for requests that cannot reach the server (stopped process, browser
 * offline): Chromium reports each one as "Failed to load resource: net::ERR_…". Offline specs expect
 * those and nothing else.
 */
export function withoutNetworkErrors(errors: string[]): string[] {
  return errors.filter((e) => !/^console: Failed to load resource: net::ERR_(CONNECTION_REFUSED|INTERNET_DISCONNECTED|CONNECTION_RESET|EMPTY_RESPONSE|CONNECTION_CLOSED|NETWORK_CHANGED)\b/.test(e));
}
