'use strict';

const Redis = require('ioredis');

const redis = new Redis(process.env.REDIS_URL || 'redis://localhost:6379/0', {
  maxRetriesPerRequest: 3,
});

module.exports = { redis };
