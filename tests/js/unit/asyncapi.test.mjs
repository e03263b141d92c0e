// docs/asyncapi.yaml, validated by the AsyncAPI initiative's own parser (its spec rules):
// no error, and the operations the server has (tests/integration/test_asyncapi.py checks the
// file against the models, and a real session against them).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DiagnosticSeverity, Parser, fromFile } from "@asyncapi/parser";

const file = fileURLToPath(new URL("../../../docs/asyncapi.yaml", import.meta.url));

test("docs/asyncapi.yaml is a valid AsyncAPI 3 document", async () => {
  const { document, diagnostics } = await fromFile(new Parser(), file).parse();
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  assert.deepEqual(errors.map((d) => `${d.path.join(".")}: ${d.message}`), []);
  assert.ok(document, "parsed");
  assert.equal(document.version(), "3.0.0");
  const ids = document.operations().all().map((o) => o.id());
  for (const id of ["connect", "PLAY", "TIME", "CHAT", "on.ROOM_STATE", "on.MEMBERS"]) {
    assert.ok(ids.includes(id), id);
  }
  const play = document.operations().get("PLAY");
  assert.equal(play.action(), "receive");
  assert.equal(play.reply().messages().all().length, 2); // the ack, or refused
});
