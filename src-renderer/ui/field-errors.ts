import { ApiError } from '../data/api-client.js';
import { describeError } from './error-text.js';

/** A failed form submit, split into what belongs beside each field and what belongs to the form. */
export interface FormFailure {
  /** Message per field name (`name`, `email` …), from the server's validation issues. */
  fields: Record<string, string>;
  /** The rest, as a sentence for the form (null when every issue was shown at a field). */
  form: string | null;
}

/** The field an issue path names: `body/name`, `/name` and `name` all name `name`; `body/scope/id` names `scope`. */
function fieldOf(path: string): string {
  return path.replace(/^\/?(body\/)?\/?/, '').split('/')[0] ?? '';
}

/**
 * Splits a server error for a form whose inputs are `fields`: a VALIDATION_FAILED issue (or a message of
 * the form `name: …`) for one of them is shown at that field, with the field named; anything else is
 * shown for the whole form.
 */
export function formFailure(error: unknown, fields: readonly string[]): FormFailure {
  const result: FormFailure = { fields: {}, form: null };
  if (error instanceof ApiError && error.code === 'VALIDATION_FAILED') {
    const issues = Array.isArray(error.details?.issues) ? (error.details.issues as { path?: unknown; message?: unknown }[]) : [];
    for (const issue of issues) {
      const field = fieldOf(String(issue.path ?? ''));
      if (fields.includes(field) && !result.fields[field]) result.fields[field] = String(issue.message ?? 'is not valid');
    }
    const prefixed = /^([a-z_]+): (.+)$/.exec(error.message);
    if (Object.keys(result.fields).length === 0 && prefixed && fields.includes(prefixed[1]!)) result.fields[prefixed[1]!] = prefixed[2]!;
    if (Object.keys(result.fields).length > 0) return result;
  }
  result.form = describeError(error);
  return result;
}
