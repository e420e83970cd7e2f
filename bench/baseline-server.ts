// The smallest Bun HTTP server: the baseline every manager figure is compared with in the same run.
const server = Bun.serve({
  port: Number(process.env.PORT),
  hostname: '127.0.0.1',
  fetch: () => Response.json({ status: 'ok' }),
})
process.on('SIGTERM', () => {
  void server.stop(true).then(() => process.exit(0))
})
