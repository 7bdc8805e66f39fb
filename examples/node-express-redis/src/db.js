'use strict';

const { Pool } = require('pg');

// One pool for the process; DATABASE_URL is required (the app cannot run without it).
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: 10,
});

async function listOrders(limit = 50) {
  const { rows } = await pool.query(
    'SELECT id, customer, total_cents, created_at FROM orders ORDER BY created_at DESC LIMIT $1',
    [limit],
  );
  return rows;
}

async function createOrder(customer, totalCents) {
  const { rows } = await pool.query(
    'INSERT INTO orders (customer, total_cents) VALUES ($1, $2) RETURNING id, customer, total_cents, created_at',
    [customer, totalCents],
  );
  return rows[0];
}

async function ping() {
  await pool.query('SELECT 1');
}

module.exports = { pool, listOrders, createOrder, ping };
