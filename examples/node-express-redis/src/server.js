'use strict';

const express = require('express');
const session = require('express-session');
const RedisStore = require('connect-redis').default; // v7 supports ioredis clients

const { redis } = require('./cache');
const db = require('./db');

const app = express();
app.use(express.json());
app.use(
  session({
    store: new RedisStore({ client: redis, prefix: 'orders:sess:' }),
    secret: process.env.SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { secure: process.env.NODE_ENV === 'production', sameSite: 'lax' },
  }),
);

app.get('/healthz', async (req, res) => {
  try {
    await Promise.all([db.ping(), redis.ping()]);
    res.json({ status: 'ok' });
  } catch (err) {
    res.status(503).json({ status: 'unavailable', error: err.message });
  }
});

app.get('/orders', async (req, res, next) => {
  try {
    const cached = await redis.get('orders:recent');
    if (cached) return res.type('json').send(cached);
    const orders = await db.listOrders();
    await redis.set('orders:recent', JSON.stringify(orders), 'EX', 30);
    res.json(orders);
  } catch (err) {
    next(err);
  }
});

app.post('/orders', async (req, res, next) => {
  const { customer, totalCents } = req.body || {};
  if (!customer || !Number.isInteger(totalCents)) {
    return res.status(400).json({ error: 'customer and integer totalCents are required' });
  }
  try {
    const order = await db.createOrder(customer, totalCents);
    await redis.del('orders:recent');
    req.session.lastOrderId = order.id;
    res.status(201).json(order);
  } catch (err) {
    next(err);
  }
});

const port = Number(process.env.PORT) || 3000;
const server = app.listen(port, () => {
  console.log(`orders-api listening on ${port}`);
});

// ECS stops tasks with SIGTERM: finish in-flight requests, then close the pools.
process.on('SIGTERM', () => {
  server.close(async () => {
    await Promise.allSettled([db.pool.end(), redis.quit()]);
    process.exit(0);
  });
});
