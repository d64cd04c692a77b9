// Subscribes with the official Lightstreamer Node client and prints every
// update as "ITEM|TimeStamp|Value" on stdout, one per line; exits 0 after
// COUNT updates, 1 on a server or subscription error, 3 on timeout.
// Usage: node client.js URL TRANSPORT COUNT TIMEOUT_S ITEM...
'use strict';
const ls = require('lightstreamer-client-node');

const [url, transport, countArg, timeoutArg, ...items] = process.argv.slice(2);
const count = parseInt(countArg, 10);
const fields = ['TimeStamp', 'Value', 'Status.Class'];
let received = 0;
let t0 = 0;
let cpu0 = null;
const out = [];
const quiet = process.env.PEEBOT_QUIET === '1';  // benchmark: count only

function finish(code, why) {
  if (!quiet) process.stdout.write(out.join(''));
  if (received > 1) {
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);  // user + system since the first update, microseconds
    const cpuS = (cpu.user + cpu.system) / 1e6;
    process.stderr.write('node client: ' + received + ' updates in ' + s.toFixed(3) + ' s, ' + Math.round(received / s) +
                         ' updates/s; ' + Math.round(received / cpuS) + ' updates per CPU-second from the first update (' +
                         cpuS.toFixed(3) + ' s user+sys)\n');
  }
  if (why) process.stderr.write(why + '\n');
  process.exit(code);
}

const client = new ls.LightstreamerClient(url, 'ISSLIVE');
client.connectionOptions.setForcedTransport(transport);
client.addListener({
  onStatusChange: (s) => process.stderr.write('status: ' + s + '\n'),
  onServerError: (code, msg) => finish(1, 'server error ' + code + ': ' + msg),
});
const sub = new ls.Subscription('MERGE', items, fields);
sub.setRequestedSnapshot('yes');
sub.addListener({
  onSubscriptionError: (code, msg) => finish(1, 'subscription error ' + code + ': ' + msg),
  onItemUpdate: (u) => {
    if (received === 0) { t0 = process.hrtime.bigint(); cpu0 = process.cpuUsage(); }
    if (!quiet) out.push(u.getItemName() + '|' + u.getValue('TimeStamp') + '|' + u.getValue('Value') + '|' + u.getValue('Status.Class') + '\n');
    received += 1;
    if (received >= count) {
      client.disconnect();
      finish(0);
    }
  },
});
client.subscribe(sub);
client.connect();
setTimeout(() => finish(3, 'timeout after ' + received + ' of ' + count + ' updates'), parseFloat(timeoutArg) * 1000);
