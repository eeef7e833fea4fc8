import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';

/** An email the server sent or kept (Flagdesk addition). */
export const EmailSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    to: Type.Array(Type.String()),
    subject: Type.String(),
    text: Type.String(),
    html: Nullable(Type.String()),
    status: Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('stored'), Type.Literal('failed')], {
      description: 'queued: waiting for the worker; sent: accepted by the SMTP server; stored: no SMTP configured, kept here and logged; failed: gave up.',
    }),
    transport: Nullable(Type.Union([Type.Literal('smtp'), Type.Literal('database')])),
    message_id: Nullable(Type.String({ description: 'SMTP Message-ID, when sent.' })),
    error: Nullable(Type.String({ description: 'Last sending error.' })),
    created_at: Timestamp,
    sent_at: Nullable(Timestamp),
  },
  { description: 'An email of the organisation (e.g. a scheduled change that failed to publish).' },
);
export type EmailWire = Static<typeof EmailSchema>;

export const emailRoutes = defineRoutes({
  listOrganisationEmails: {
    method: 'GET',
    url: '/api/v1/organisations/:organisation_pk/emails/',
    summary: "The organisation's emails, newest first; without SMTP configured this is where they are read (organisation admin; Flagdesk addition).",
    tag: 'emails',
    auth: 'admin',
    params: Type.Object({ organisation_pk: IdParam }),
    querystring: Type.Object({ ...PageQuery, status: Type.Optional(Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('stored'), Type.Literal('failed')])) }),
    successStatus: 200,
    response: Paginated(EmailSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});
