// Every JavaScript module of the web UI parses as an ES module (node --check
// on a .mjs copy: a plain .js file would be checked as CommonJS). A syntax
// error would otherwise only show as a blank page in the browser.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(process.argv[2] || path.join(import.meta.dirname, "../../web"));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "contactsync-js-"));
let checked = 0;
let failed = 0;
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith(".js")) {
      const copy = path.join(tmp, `${checked}.mjs`);
      fs.copyFileSync(full, copy);
      const r = spawnSync(process.execPath, ["--check", copy], { encoding: "utf8" });
      checked += 1;
      if (r.status !== 0) {
        failed += 1;
        console.error(`${path.relative(root, full)}: ${r.stderr.split(copy).join(path.relative(root, full))}`);
      }
    }
  }
}
walk(root);
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${checked - failed} passed, ${failed} failed`);
process.exit(failed || checked === 0 ? 1 : 0);
