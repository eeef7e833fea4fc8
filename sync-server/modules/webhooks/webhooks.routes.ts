import { webhookRoutes } from '../../../src-shared/contracts/http/webhooks.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { WebhooksService } from './webhooks.service.js';

export function registerWebhookRoutes(app: HttpApp, webhooks: WebhooksService): void {
  const env = (apiKey: string) => ({ environmentApiKey: apiKey });
  const org = (organisationId: number) => ({ organisationId });

  route(app, 'listEnvironmentWebhooks', webhookRoutes.listEnvironmentWebhooks, ({ principal, params }) => webhooks.list(principal, env(params.api_key)));
  route(app, 'createEnvironmentWebhook', webhookRoutes.createEnvironmentWebhook, ({ principal, params, body }) => webhooks.create(principal, env(params.api_key), body));
  route(app, 'updateEnvironmentWebhook', webhookRoutes.updateEnvironmentWebhook, ({ principal, params, body }) => webhooks.update(principal, env(params.api_key), params.id, body, false));
  route(app, 'partialUpdateEnvironmentWebhook', webhookRoutes.partialUpdateEnvironmentWebhook, ({ principal, params, body }) => webhooks.update(principal, env(params.api_key), params.id, body, true));
  route(app, 'deleteEnvironmentWebhook', webhookRoutes.deleteEnvironmentWebhook, ({ principal, params }) => webhooks.remove(principal, env(params.api_key), params.id));
  route(app, 'listEnvironmentWebhookDeliveries', webhookRoutes.listEnvironmentWebhookDeliveries, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await webhooks.listDeliveries(principal, env(params.api_key), params.id, { offset, limit: pageSize, ...(query.status ? { status: query.status } : {}) });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'redeliverEnvironmentWebhookDelivery', webhookRoutes.redeliverEnvironmentWebhookDelivery, ({ principal, params }) => webhooks.redeliver(principal, env(params.api_key), params.id, params.delivery_id));

  route(app, 'testWebhook', webhookRoutes.testWebhook, ({ principal, body }) => webhooks.test(principal, body));

  route(app, 'listOrganisationWebhooks', webhookRoutes.listOrganisationWebhooks, ({ principal, params }) => webhooks.list(principal, org(params.organisation_pk)));
  route(app, 'createOrganisationWebhook', webhookRoutes.createOrganisationWebhook, ({ principal, params, body }) => webhooks.create(principal, org(params.organisation_pk), body));
  route(app, 'updateOrganisationWebhook', webhookRoutes.updateOrganisationWebhook, ({ principal, params, body }) => webhooks.update(principal, org(params.organisation_pk), params.id, body, false));
  route(app, 'partialUpdateOrganisationWebhook', webhookRoutes.partialUpdateOrganisationWebhook, ({ principal, params, body }) => webhooks.update(principal, org(params.organisation_pk), params.id, body, true));
  route(app, 'deleteOrganisationWebhook', webhookRoutes.deleteOrganisationWebhook, ({ principal, params }) => webhooks.remove(principal, org(params.organisation_pk), params.id));
  route(app, 'listOrganisationWebhookDeliveries', webhookRoutes.listOrganisationWebhookDeliveries, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await webhooks.listDeliveries(principal, org(params.organisation_pk), params.id, { offset, limit: pageSize, ...(query.status ? { status: query.status } : {}) });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'redeliverOrganisationWebhookDelivery', webhookRoutes.redeliverOrganisationWebhookDelivery, ({ principal, params }) => webhooks.redeliver(principal, org(params.organisation_pk), params.id, params.delivery_id));
}
