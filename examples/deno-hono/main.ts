import { Hono } from "hono";
import { logger } from "hono/logger";
import { createNote, listNotes, ping } from "./db.ts";

export const app = new Hono();

app.use("*", logger());

app.get("/health", async (c) => {
  const database = await ping();
  return c.json({ status: database ? "ok" : "degraded", database }, database ? 200 : 503);
});

app.get("/api/notes", async (c) => c.json(await listNotes()));

app.post("/api/notes", async (c) => {
  const body = await c.req.json<{ title?: string; body?: string }>();
  if (!body.title) {
    return c.json({ error: "title is required" }, 400);
  }
  return c.json(await createNote(body.title, body.body ?? ""), 201);
});

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") ?? 8000);
  Deno.serve({ port, hostname: "0.0.0.0" }, app.fetch);
}
