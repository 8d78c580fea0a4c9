// The baseline: bare Fastify, one route returning a small HTML page, nothing else (no plugins,
// no logger). Run in its own process: node --import tsx bench/baseline.ts <port>
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const html = '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>乡益</title></head><body><h1>乡益 Xiangyi</h1><p>baseline</p></body></html>';

const app = Fastify({ logger: false });
app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
