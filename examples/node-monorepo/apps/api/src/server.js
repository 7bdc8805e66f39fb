'use strict';

const Fastify = require('fastify');
const { MongoClient } = require('mongodb');
const { healthBody } = require('@acme/shared');

if (!process.env.MONGODB_URI) {
  throw new Error('MONGODB_URI is required');
}
const mongo = new MongoClient(process.env.MONGODB_URI);
const database = process.env.MONGODB_DATABASE || 'acme';
const app = Fastify({ logger: { level: process.env.LOG_LEVEL || 'info' } });

app.get('/health', async () => {
  await mongo.db('admin').command({ ping: 1 });
  return healthBody('api');
});

app.get('/projects', async () => {
  return mongo.db(database).collection('projects').find({}, { limit: 100 }).toArray();
});

app.post('/projects', async (request, reply) => {
  const { name } = request.body ?? {};
  if (typeof name !== 'string' || !name) {
    return reply.code(400).send({ error: 'name is required' });
  }
  const { insertedId } = await mongo.db(database).collection('projects').insertOne({ name, createdAt: new Date() });
  return reply.code(201).send({ id: insertedId, name });
});

async function main() {
  await mongo.connect();
  // 0.0.0.0: Fastify binds to localhost by default, unreachable from outside a container.
  await app.listen({ port: Number(process.env.PORT) || 4000, host: '0.0.0.0' });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await app.close();
    await mongo.close();
    process.exit(0);
  });
}

main().catch((err) => {
  app.log.error(err);
  process.exit(1);
});
