import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../platform/deps.js';
import { requestContext } from '../platform/http/http.context.js';
import {
  createPetBody, evolutionView, evolveResult, historyPage, historyQuery, interactionBody, interactionResult, listPetsQuery,
  petParams, petView, renamePetBody, vacationBody,
} from './pets.schema.js';

/** /pets: CRUD, interactions, timeline, evolution and vacation; only the owner (or an admin) reaches a pet. */
export function petsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const pets = () => deps.services.pets;
  const tags = ['pets'];

  r.get('/pets', { config: { rateTier: 'lenient' }, schema: { tags, querystring: listPetsQuery, response: { 200: z.object({ pets: z.array(petView) }) } } },
    async (req) => ({ pets: await pets().list(requestContext(req), req.query.userId) }));

  r.post('/pets', { config: { rateTier: 'moderate' }, schema: { tags, body: createPetBody, response: { 201: petView } } },
    async (req, reply) => reply.status(201).send(await pets().create(requestContext(req), req.body)));

  r.get('/pets/:id', { config: { rateTier: 'lenient' }, schema: { tags, params: petParams, response: { 200: petView } } },
    async (req) => pets().get(requestContext(req), req.params.id));

  r.patch('/pets/:id', { config: { rateTier: 'moderate' }, schema: { tags, params: petParams, body: renamePetBody, response: { 200: petView } } },
    async (req) => pets().rename(requestContext(req), req.params.id, req.body.name));

  r.delete('/pets/:id', { config: { rateTier: 'moderate' }, schema: { tags, params: petParams } },
    async (req, reply) => {
      await pets().remove(requestContext(req), req.params.id);
      return reply.status(204).send();
    });

  r.post('/pets/:id/interactions', { config: { rateTier: 'moderate' }, schema: { tags, params: petParams, body: interactionBody, response: { 200: interactionResult } } },
    async (req) => pets().interact(requestContext(req), req.params.id, req.body.type));

  r.get('/pets/:id/history', { config: { rateTier: 'lenient' }, schema: { tags, params: petParams, querystring: historyQuery, response: { 200: historyPage } } },
    async (req) => pets().history(requestContext(req), req.params.id, req.query.limit, req.query.cursor));

  r.get('/pets/:id/evolution', { config: { rateTier: 'lenient' }, schema: { tags, params: petParams, response: { 200: evolutionView } } },
    async (req) => pets().evolution(requestContext(req), req.params.id));

  r.post('/pets/:id/evolve', { config: { rateTier: 'moderate' }, schema: { tags, params: petParams, response: { 200: evolveResult } } },
    async (req) => pets().evolve(requestContext(req), req.params.id));

  r.post('/pets/:id/vacation', { config: { rateTier: 'moderate' }, schema: { tags, params: petParams, body: vacationBody, response: { 200: petView } } },
    async (req) => pets().startVacation(requestContext(req), req.params.id, new Date(req.body.until)));

  r.delete('/pets/:id/vacation', { config: { rateTier: 'moderate' }, schema: { tags, params: petParams, response: { 200: petView } } },
    async (req) => pets().endVacation(requestContext(req), req.params.id));
}
