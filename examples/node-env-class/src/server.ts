import express from "express";
import env from "./env";

const app = express();
const notes: string[] = [];

app.use(express.json());

app.get("/healthz", (_req, res) => {
  res.json({ status: "ok" });
});

app.get("/notes", (_req, res) => {
  res.json({ environment: env.ENVIRONMENT, notes });
});

app.post("/notes", (req, res) => {
  notes.push(String(req.body?.text ?? ""));
  res.status(201).json({ count: notes.length });
});

app.listen(env.PORT, () => {
  console.log(`notes-api listening on ${env.PORT} (${env.LOG_LEVEL})`);
});
