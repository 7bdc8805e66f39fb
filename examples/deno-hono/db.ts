import pg from "pg";

const databaseUrl = Deno.env.get("DATABASE_URL");
if (!databaseUrl) {
  throw new Error("DATABASE_URL is not set");
}

const pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });

export interface Note {
  id: number;
  title: string;
  body: string;
  created_at: string;
}

await pool.query(`
  CREATE TABLE IF NOT EXISTS notes (
    id SERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )
`);

export async function listNotes(): Promise<Note[]> {
  const result = await pool.query<Note>("SELECT id, title, body, created_at FROM notes ORDER BY id DESC LIMIT 100");
  return result.rows;
}

export async function createNote(title: string, body: string): Promise<Note> {
  const result = await pool.query<Note>(
    "INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING id, title, body, created_at",
    [title, body],
  );
  return result.rows[0];
}

export async function ping(): Promise<boolean> {
  try {
    await pool.query("SELECT 1");
    return true;
  } catch {
    return false;
  }
}
