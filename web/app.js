// The page's behaviour: read the files the reader gives, hash the document in slices, and show
// the verdicts the WebAssembly verifier (web/verifier) returns. Plain JavaScript, no framework,
// and no network request except the tiles the reader asks for in the last part of the page.
"use strict";

const SLICE = 8 * 1024 * 1024; // bytes of the document read and hashed at a time
const MAX_PROOF = 1024 * 1024; // web/verifier refuses larger proofs; read one byte more
const KEY_STORE = "prov-verifier-key";

const $ = (id) => document.getElementById(id);
let wasm = null; // the verifier's exports, once loaded

/// Loads the verifier from the base64 in verifier_wasm.js: a page opened as a file may not
/// fetch the .wasm beside it.
async function load() {
  const text = atob(VERIFIER_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  await wasm_bindgen({ module_or_path: bytes });
  wasm = wasm_bindgen;
}

// ---- inputs ----------------------------------------------------------------------------

function fileInput(id, onFile) {
  const input = $(id);
  const drop = $(id + "-drop") || input;
  input.addEventListener("change", () => input.files[0] && onFile(input.files[0]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files[0]) onFile(e.dataTransfer.files[0]);
  });
}

const chosen = { document: null, proof: null };

function showChosen(which, file) {
  chosen[which] = file;
  $(which + "-name").textContent = file.name + " (" + sizeText(file.size) + ")";
}

function sizeText(n) {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? n + " bytes" : v.toFixed(1) + " " + units[u];
}

function keyText() {
  const key = $("key").value.trim();
  if (key && $("remember-key").checked) localStorage.setItem(KEY_STORE, key);
  if (!$("remember-key").checked) localStorage.removeItem(KEY_STORE);
  return key;
}

function quorum() {
  const q = $("quorum").value.trim();
  return q === "" ? 0 : Math.max(0, Math.floor(Number(q))) || 0;
}

// ---- the document's SHA-256, in slices -------------------------------------------------

async function hashDocument(file) {
  const box = $("progress-box");
  const bar = $("progress");
  box.hidden = false;
  const stream = new wasm.Sha256Stream();
  let done = 0;
  const show = () => {
    bar.value = file.size === 0 ? 1000 : Math.floor((done / file.size) * 1000);
    $("progress-text").textContent = "Computing the document's fingerprint: " +
      sizeText(done) + " of " + sizeText(file.size);
  };
  show();
  while (done < file.size) {
    const slice = await file.slice(done, done + SLICE).arrayBuffer();
    if (slice.byteLength === 0) throw new Error("the file ended early: was it changed while being read?");
    stream.update(new Uint8Array(slice));
    done += slice.byteLength;
    show();
  }
  const size = stream.size();
  return { sha256: stream.finish(), size };
}

// ---- verdicts ---------------------------------------------------------------------------

const MARKS = { passed: "✓", failed: "✗", not_reached: "·", not_checked: "–" };
const WORDS = { passed: "passed", failed: "FAILED", not_reached: "not reached", not_checked: "not checked" };

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function working(text) {
  const v = $("verdict");
  v.dataset.state = "working";
  delete v.dataset.ok;
  delete v.dataset.failed;
  v.replaceChildren(el("p", text, "working"));
}

/// Shows a verdict (all text, never HTML: recorded names and sources are shown as text).
function show(verdict) {
  const v = $("verdict");
  v.dataset.ok = String(verdict.ok);
  if (verdict.failed) v.dataset.failed = verdict.failed; else delete v.dataset.failed;
  const parts = [el("h2", verdict.headline, verdict.ok ? "good" : "bad")];
  for (const w of verdict.warnings || []) parts.push(el("p", w, "warning"));
  for (const s of verdict.explanation || []) parts.push(el("p", s));
  if (verdict.checks && verdict.checks.length) {
    parts.push(el("h3", "Checks"));
    const list = el("ul", undefined, "checks");
    for (const c of verdict.checks) {
      const li = el("li", undefined, c.status);
      li.append(el("span", MARKS[c.status] || "?", "mark"), el("span", c.label + ": " + WORDS[c.status]));
      if (c.detail) li.append(el("span", " (" + c.detail + ")", "detail"));
      list.append(li);
    }
    parts.push(list);
  }
  if (verdict.facts && verdict.facts.length) {
    parts.push(el("h3", "What the archive recorded"));
    const table = el("table", undefined, "facts");
    for (const [label, value] of verdict.facts) {
      const tr = el("tr");
      tr.append(el("th", label), el("td", value));
      table.append(tr);
    }
    parts.push(table);
  }
  v.replaceChildren(...parts);
  v.dataset.state = "done";
}

/// A failure of this page itself (a file it cannot read, an address it cannot reach).
function problem(id, headline, detail) {
  show({ ok: false, failed: id, headline, explanation: ["Technical detail: " + detail + "."], checks: [], facts: [] });
}

// ---- checking a proof file --------------------------------------------------------------

async function verify() {
  $("progress-box").hidden = true;
  if (!chosen.proof) return problem("proof_file", "Give the proof file first (step 2).", "no proof file was given");
  working("Checking the proof…");
  let proof;
  try {
    proof = new Uint8Array(await chosen.proof.slice(0, MAX_PROOF + 1).arrayBuffer());
  } catch (e) {
    return problem("proof_file", "The proof file could not be read.", String(e));
  }
  const args = [proof, keyText(), $("witnesses").value, quorum()];
  // The proof first: a wrong key or a damaged proof is told at once, before a long hash. A
  // witness quorum not met is told after the document's checks, so the document is hashed.
  let verdict = JSON.parse(wasm.verify_proof_file(...args, "", 0n));
  if ((verdict.ok || verdict.failed === "witnesses") && chosen.document) {
    working("Checking the document…");
    let doc;
    try {
      doc = await hashDocument(chosen.document);
    } catch (e) {
      return problem("document_hash", "The document could not be read.", String(e));
    }
    verdict = JSON.parse(wasm.verify_proof_file(...args, doc.sha256, BigInt(doc.size)));
  }
  show(verdict);
}

// ---- from a published log ---------------------------------------------------------------

function tilesBase() {
  let url = $("tiles-url").value.trim();
  if (!url) throw new Error("give the tiles address first");
  if (!url.endsWith("/")) url += "/";
  return url;
}

async function fetchBytes(base, path) {
  const r = await fetch(new URL(path, base));
  if (!r.ok) { const e = new Error(path + ": HTTP " + r.status); e.status = r.status; throw e; }
  return new Uint8Array(await r.arrayBuffer());
}

/// A tile, or the prefix of its full tile when the partial one is gone (tlog-tiles allows it).
async function fetchTile(base, t) {
  let bytes;
  try {
    bytes = await fetchBytes(base, t.path);
  } catch (e) {
    if (e.status !== 404 || t.full_path === t.path) throw e;
    bytes = await fetchBytes(base, t.full_path);
  }
  return t.len ? bytes.slice(0, t.len) : bytes;
}

async function fetchTiles(base, plan) {
  const parts = [];
  for (const t of plan.tiles) parts.push(await fetchTile(base, t));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return all;
}

async function fetchEntry() {
  $("progress-box").hidden = true;
  $("save-proof").hidden = true;
  const index = $("entry-index").value.trim();
  if (!/^[0-9]+$/.test(index)) return problem("tiles", "Give the entry number (0, 1, 2, …).", "no entry number");
  working("Fetching the published log…");
  let base, checkpoint, tiles, bundle;
  const key = keyText();
  try {
    base = tilesBase();
    checkpoint = new TextDecoder().decode(await fetchBytes(base, "checkpoint"));
    const planned = JSON.parse(wasm.plan_entry_tiles(checkpoint, key, BigInt(index)));
    if (planned.verdict) return show(planned.verdict);
    tiles = await fetchTiles(base, planned.plan);
    bundle = await fetchTile(base, planned.plan.bundle);
  } catch (e) {
    return problem("tiles", "The published log could not be read.", String(e.message || e));
  }
  let doc = { sha256: "", size: 0 };
  if (chosen.document) {
    try { doc = await hashDocument(chosen.document); } catch (e) {
      return problem("document_hash", "The document could not be read.", String(e));
    }
  }
  const answer = JSON.parse(wasm.verify_entry_tiles(checkpoint, key, $("witnesses").value, quorum(),
    BigInt(index), tiles, bundle, doc.sha256, BigInt(doc.size)));
  show(answer.verdict);
  if (answer.proof) {
    const link = $("save-proof");
    link.href = URL.createObjectURL(new Blob([answer.proof], { type: "text/plain" }));
    link.download = "entry-" + index + ".tlog-proof";
    link.hidden = false;
  }
}

async function checkConsistency() {
  $("progress-box").hidden = true;
  const old = $("old-checkpoint").value.replace(/\r\n/g, "\n");
  const neu = $("new-checkpoint").value.replace(/\r\n/g, "\n");
  const key = keyText();
  if (neu.startsWith("old ")) return show(JSON.parse(wasm.verify_consistency_proof(old, neu, key)));
  if (!$("tiles-url").value.trim()) {
    return problem("consistency", "Give the tiles address above, or paste the text `prov consistency` wrote in place of the newer checkpoint.",
      "a proof between two checkpoints is built from the published tiles");
  }
  working("Fetching the published log…");
  try {
    const planned = JSON.parse(wasm.plan_consistency_tiles(old, neu, key));
    if (planned.verdict) return show(planned.verdict);
    const tiles = planned.plan.tiles.length ? await fetchTiles(tilesBase(), planned.plan) : new Uint8Array();
    show(JSON.parse(wasm.verify_consistency_tiles(old, neu, key, tiles)));
  } catch (e) {
    problem("consistency", "The published log could not be read.", String(e.message || e));
  }
}

// ---- start ------------------------------------------------------------------------------

function guard(f) {
  return () => f().catch((e) => problem("internal", "Something went wrong in this page.", String(e)));
}

async function start() {
  $("key").value = localStorage.getItem(KEY_STORE) || "";
  // Served by `prov serve --web` at /verify/: that server publishes its tiles at its root.
  // Only the address is filled in; nothing is fetched until the user asks.
  if (/^https?:$/.test(location.protocol) && location.pathname.startsWith("/verify/")) {
    $("tiles-url").value = location.origin + "/";
  }
  fileInput("document", (f) => showChosen("document", f));
  fileInput("proof", (f) => showChosen("proof", f));
  fileInput("key-file", async (f) => { $("key").value = (await f.slice(0, 4096).text()).trim(); });
  $("verify").addEventListener("click", guard(verify));
  $("fetch-entry").addEventListener("click", guard(fetchEntry));
  $("check-consistency").addEventListener("click", guard(checkConsistency));
  try {
    await load();
    for (const id of ["verify", "fetch-entry", "check-consistency"]) $(id).disabled = false;
    document.body.dataset.ready = "true";
  } catch (e) {
    problem("internal", "This browser could not start the verifier (it needs WebAssembly).", String(e));
  }
}

start();
