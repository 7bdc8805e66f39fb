'use strict';

/** Read a required setting, failing fast with a clear message at startup. */
function requireSetting(env, name) {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`missing required setting ${name}`);
  }
  return value;
}

/** The JSON body every service returns from its health route. */
function healthBody(service) {
  return { status: 'ok', service, time: new Date().toISOString() };
}

module.exports = { requireSetting, healthBody };
