// A status board. It listens on loopback unless HOST says otherwise: safe on a laptop,
// unreachable inside a container unless HOST is set to every interface.
const express = require("express");

const app = express();
const statuses = new Map();

app.get("/", (req, res) => res.json(Object.fromEntries(statuses)));
app.put("/status/:service", express.json(), (req, res) => {
  statuses.set(req.params.service, String(req.body.status || "unknown"));
  res.status(204).end();
});

const host = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT || 4000);
app.listen(port, host, () => console.log(`status board on http://${host}:${port}`));
