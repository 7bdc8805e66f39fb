// Greets by name. The escape-html it ships is patched at install time (patches/, applied by
// patch-package in postinstall): an image whose install ran without the patches answers 500.
const express = require("express");
const escapeHtml = require("escape-html");

const app = express();
const port = Number(process.env.PORT) || 3000;

app.get("/healthz", (req, res) => {
  if (!escapeHtml.patched) {
    res.status(500).json({ status: "escape-html is not patched: patch-package did not run with patches/" });
    return;
  }
  res.json({ status: "ok" });
});

app.get("/", (req, res) => {
  res.send(`<p>Hello, ${escapeHtml(req.query.name || "world")}!</p>`);
});

app.listen(port, () => {
  console.log(`greeter listening on ${port}`);
});
