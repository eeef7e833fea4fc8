import { describe, expect, test } from 'vitest';
import { NoticeError, describeError } from '../../../../src-renderer/ui/error-text.js';
import { ApiError } from '../../../../src-renderer/data/api-client.js';

describe('describeError', () => {
  test('maps each code to user text from the one table, with the error id for INTERNAL', () => {
    expect([
      describeError(new ApiError('INTERNAL', 'hidden', 500, 'err-42')),
      describeError(new ApiError('NETWORK', 'fetch failed', 0)),
      describeError(new ApiError('PERMISSION_DENIED', 'no', 403)),
      describeError(new ApiError('PRECONDITION_FAILED', 'Version is published.', 400)),
      describeError(new ApiError('VALIDATION_FAILED', 'HTTP 400', 400)),
      describeError(new Error('a bug')),
      describeError(new NoticeError('The newer version has not reached this device yet.')),
    ]).toEqual([
      'Something went wrong on the server (error id err-42).',
      'The Flagdesk server could not be reached. Check that it is running.',
      'You do not have permission to do this.',
      'This cannot be done in the current state. Version is published.',
      'The server did not accept this input.',
      'Something went wrong.',
      'The newer version has not reached this device yet.',
    ]);
  });
});
