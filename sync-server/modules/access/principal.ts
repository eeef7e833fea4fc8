/** Who is calling the Admin API. Services receive it as plain data; they never see the HTTP request. */
export type Principal =
  | { readonly kind: 'user'; readonly userId: number; readonly email: string }
  | { readonly kind: 'api_key'; readonly apiKeyId: number; readonly organisationId: number; readonly isAdmin: boolean; readonly name: string };

/** The author columns of an audit row for a principal. */
export function auditAuthor(p: Principal): { author_user_id: number | null; author_api_key_id: number | null } {
  return p.kind === 'user' ? { author_user_id: p.userId, author_api_key_id: null } : { author_user_id: null, author_api_key_id: p.apiKeyId };
}
