// Orders API, written to be replaced without dropping a request:
// - /healthz says whether this process should get traffic (a load balancer asks it);
// - on SIGTERM it stops accepting connections, answers the requests already in flight, then exits;
// - idle keep-alive connections outlive a load balancer's (60 s), so it never closes one under it.
const express = require("express");
const { version } = require("../package.json");

const app = express();
const orders = [];

app.get("/healthz", (req, res) => res.json({ status: "ok" }));
app.get("/", (req, res) => res.json({ service: "orders", version, orders: orders.length }));
app.get("/orders", (req, res) => res.json(orders));
app.post("/orders", express.json(), (req, res) => {
  orders.push({ id: orders.length + 1, item: String(req.body.item || "") });
  res.status(201).json(orders[orders.length - 1]);
});

const port = Number(process.env.PORT || 3000);
const server = app.listen(port, "0.0.0.0", () => console.log(`orders ${version} on :${port}`));
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

process.on("SIGTERM", () => {
  console.log("SIGTERM: finishing the requests in flight");
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
