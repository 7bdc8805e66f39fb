'use strict';

const express = require('express');
const Redis = require('ioredis');

const PORT = Number(process.env.PORT) || 3000;
const ORDERS_URL = process.env.ORDERS_URL || 'http://localhost:8000';
const CATALOG_URL = process.env.CATALOG_URL || 'http://localhost:8081';
const redis = new Redis(process.env.REDIS_URL);
const LIMIT_PER_MINUTE = Number(process.env.RATE_LIMIT_PER_MINUTE) || 120;

const app = express();
app.use(express.json());

app.get('/health', (req, res) => res.json({ status: 'ok' }));

app.use(async (req, res, next) => {
  const key = `rate:${req.ip}:${Math.floor(Date.now() / 60000)}`;
  const count = await redis.incr(key);
  if (count === 1) await redis.expire(key, 60);
  if (count > LIMIT_PER_MINUTE) return res.status(429).json({ error: 'too many requests' });
  return next();
});

async function forward(base, req, res) {
  const upstream = await fetch(base + req.originalUrl, {
    method: req.method,
    headers: { 'content-type': 'application/json' },
    body: ['GET', 'HEAD'].includes(req.method) ? undefined : JSON.stringify(req.body),
  });
  res.status(upstream.status).type('application/json').send(await upstream.text());
}

app.all('/orders*', (req, res, next) => forward(ORDERS_URL, req, res).catch(next));
app.get('/products', (req, res, next) => forward(CATALOG_URL, req, res).catch(next));

const server = app.listen(PORT, () => console.log(`gateway listening on ${PORT}`));
process.on('SIGTERM', () => server.close(() => redis.quit().then(() => process.exit(0))));
