/** @type {import('next').NextConfig} */
const nextConfig = {
  // A self-contained server in .next/standalone: the image needs no node_modules.
  output: 'standalone',
  poweredByHeader: false,
};

export default nextConfig;
