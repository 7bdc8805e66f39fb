// The Express app; src/bin/serve.js (the team's own launcher, started by their process manager) listens.
const express = require("express");

const app = express();
const links = new Map();

app.post("/links", express.json(), (req, res) => {
  const id = Math.random().toString(36).slice(2, 8);
  links.set(id, req.body.url);
  res.status(201).json({ id });
});
app.get("/:id", (req, res) => (links.has(req.params.id) ? res.redirect(links.get(req.params.id)) : res.sendStatus(404)));

module.exports = app;
