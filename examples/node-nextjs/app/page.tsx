type Product = { id: string; name: string; price: number };

// Rendered per request: the catalogue API is only reachable at run time, not during `next build`.
export const dynamic = 'force-dynamic';

// Server component: the catalogue API is called from the server, never from the browser.
async function getProducts(): Promise<Product[]> {
  const res = await fetch(`${process.env.CATALOG_API_URL}/products`, {
    headers: { authorization: `Bearer ${process.env.CATALOG_API_TOKEN}` },
    next: { revalidate: 60 },
  });
  if (!res.ok) return [];
  return res.json();
}

export default async function Home() {
  const products = await getProducts();
  return (
    <main>
      <h1>{process.env.NEXT_PUBLIC_STORE_NAME ?? 'Storefront'}</h1>
      <ul>
        {products.map((p) => (
          <li key={p.id}>
            {p.name}: {(p.price / 100).toFixed(2)}
          </li>
        ))}
      </ul>
    </main>
  );
}
