/** The plain lines a person reads at start (never inside a log object). */

/** Printed when the database has no users and no FLAGDESK_ADMIN_* is set. */
export function firstAdminHint(command: 'npm run cli --' | 'node out/server/cli.js'): string[] {
  return [
    'The database has no users yet. Create the first admin with:',
    `  ${command} create-admin --email you@example.com --password '<8+ characters>' --organisation "My Org"`,
    'or restart with FLAGDESK_ADMIN_EMAIL and FLAGDESK_ADMIN_PASSWORD set.',
  ];
}
