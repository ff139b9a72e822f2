// The plain broadcast server confab-bench measures Confab against: Node's `ws`, the most
// used WebSocket server, relaying every text message to every connected client (the
// sender included, as Confab does). No parsing, no storage, no auth: the floor of what
// fan-out costs. Usage: node broadcast-server.js [port] [host]; prints
// "ws-peer listening on port N" once it accepts connections.
'use strict';
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2] || 0);
const host = process.argv[3] || '127.0.0.1';
const wss = new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: 1 << 20 });

wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    if (isBinary)
      return;
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN)
        client.send(data, { binary: false });
    }
  });
  socket.on('error', () => {});
});

wss.on('listening', () => {
  process.stdout.write(`ws-peer listening on port ${wss.address().port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => wss.close(() => process.exit(0)));
