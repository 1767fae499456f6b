// Verifies requests with the Standard Webhooks reference implementation (npm standardwebhooks).
// Usage: node verify-standard-webhooks.js <node_modules dir> <requests.json>
// requests.json: {"secret": "whsec_...", "requests": [{"headers": {...}, "body": "<base64>"}]}
// Prints one line per request: "ok" or "refused: <reason>". verify() checks the signature, then
// parses the payload as JSON: a SyntaxError means the signature matched a body that is not JSON.
const path = require('path');
const fs = require('fs');
const { Webhook } = require(path.join(process.argv[2], 'standardwebhooks'));
const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const wh = new Webhook(input.secret);
for (const r of input.requests) {
  try {
    wh.verify(Buffer.from(r.body, 'base64').toString('utf8'), r.headers);
    console.log('ok');
  } catch (e) {
    console.log(e instanceof SyntaxError ? 'ok (not JSON)' : 'refused: ' + e.message);
  }
}
