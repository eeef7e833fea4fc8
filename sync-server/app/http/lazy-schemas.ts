import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

/**
 * Schema compilation on first use instead of at start. Fastify compiles a validator per request part and a
 * serializer per response status of every route when the route is registered: for ~200 routes × (success
 * + 5 error statuses) that is over a thousand compiled functions (fast-json-stringify builds an Ajv of
 * its own for each `anyOf`), seconds of start-up CPU and tens of MiB the process keeps, mostly for
 * routes a given server never serves. Here each one is compiled the first time its route needs it; the
 * compiled function is then kept, so only the first request of a route pays. Behaviour is unchanged.
 */

type Compiled<F extends (...args: never[]) => unknown> = F & { errors?: unknown };

/** A validator compiled on its first call; Fastify reads `errors` off the function after a failed call. */
export function lazyValidator<F extends (data: unknown) => unknown>(compile: () => F): F {
  let compiled: Compiled<F> | undefined;
  const validate = ((data: unknown) => {
    compiled ??= compile();
    const result = compiled(data);
    (validate as Compiled<F>).errors = compiled.errors;
    return result;
  }) as Compiled<F>;
  return validate;
}

type BuildSerializer = ReturnType<typeof SerializerSelector>;

/** Fastify's own serializer factory (fast-json-stringify), each route's serializer built on its first reply. */
export const lazySerializerFactory: BuildSerializer = (externalSchemas, options) => {
  const compileRoute = SerializerSelector()(externalSchemas, options);
  return (routeSchema) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => (serialize ??= compileRoute(routeSchema))(data);
  };
};
