// Shortens links in memory. Started as `node src/server.js --cache-size=500` (the Procfile runs it
// through pnpm, which the runtime image does not have: migrate runs the script's own command).
const crypto = require("node:crypto");
const express = require("express");

const flag = process.argv.find((arg) => arg.startsWith("--cache-size="));
const cacheSize = flag ? Number(flag.split("=")[1]) : 100;
const port = Number(process.env.PORT) || 5000;
const links = new Map();

const app = express();
app.use(express.json());

app.get("/healthz", (req, res) => {
  res.json({ status: "ok", cacheSize });
});

app.post("/links", (req, res) => {
  if (links.size >= cacheSize) {
    links.delete(links.keys().next().value);
  }
  const id = crypto.randomBytes(4).toString("hex");
  links.set(id, String(req.body?.url ?? ""));
  res.status(201).json({ id });
});

app.get("/:id", (req, res) => {
  const url = links.get(req.params.id);
  if (url === undefined) {
    res.status(404).json({ error: "no such link" });
    return;
  }
  res.redirect(url);
});

app.listen(port, () => {
  console.log(`link-shortener listening on ${port}, cache of ${cacheSize}`);
});
