import { useEffect, useState } from 'react';

// Baked in at build time: Vite inlines VITE_-prefixed variables when it bundles.
const API_URL = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';

export default function App() {
  const [services, setServices] = useState([]);
  const [error, setError] = useState(null);

  useEffect(() => {
    fetch(`${API_URL}/api/status`)
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(res.statusText))))
      .then(setServices)
      .catch((err) => setError(err.message));
  }, []);

  return (
    <main>
      <h1>Service status</h1>
      {import.meta.env.DEV && <p>Development build, API at {API_URL}</p>}
      {error && <p role="alert">Could not load status: {error}</p>}
      <ul>
        {services.map((s) => (
          <li key={s.name}>
            {s.name}: {s.healthy ? 'up' : 'down'}
          </li>
        ))}
      </ul>
    </main>
  );
}
