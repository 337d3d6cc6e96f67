"use strict";

// The "Identify a leak" page: uploads the leaked file to POST /api/identify-leak and shows the
// verdict and ranked candidates. Server text only ever goes in through textContent (Tatou.el).
(() => {
  const { api, errorMessage, el } = Tatou;

  if (!Tatou.getToken()) {
    window.location.replace("login.html");
    return;
  }

  const $ = (id) => document.getElementById(id);
  const form = $("leak-form");
  const status = $("leak-status");
  const documentSelect = $("leak-document");
  const card = $("verdict-card");
  const body = $("candidates-body");

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  async function call(path, options) {
    const res = await api(path, options);
    if (res.status === 401) {
      Tatou.clearToken();
      window.location.href = "login.html";
      throw new Error("Session expired, please log in again");
    }
    if (!res.ok) throw new Error(await errorMessage(res));
    return res.json();
  }

  async function loadDocuments() {
    try {
      const docs = await call("/api/list-documents");
      for (const d of Array.isArray(docs?.documents) ? docs.documents : []) {
        documentSelect.append(el("option", { value: String(d.id), text: `#${d.id} ${d.name}` }));
      }
    } catch (e) {
      setStatus(`Could not list documents: ${e.message}`, true);
    }
  }

  function show(result) {
    const named = new Set((result.attributed_to || []).map((n) => n.version_id));
    $("verdict").textContent = result.verdict;
    const who = (result.attributed_to || []).map((n) => n.intended_for).join(", ");
    $("verdict-detail").textContent = result.verdict === "attributed"
      ? `Named: ${who}. Document #${result.document_id}, ${result.pages_matched} page(s) matched, ` +
        `${result.versions_compared} version(s) compared, threshold ${result.threshold}.`
      : `No recipient can be named with a false-match probability at or under ${result.threshold} ` +
        `(${result.pages_matched} page(s) matched, ${result.versions_compared} version(s) compared).`;
    body.replaceChildren();
    for (const c of result.candidates || []) {
      body.append(el("tr", {},
        el("td", { text: String(c.version_id) }),
        el("td", { text: c.intended_for }),
        el("td", { text: c.method }),
        el("td", { text: c.score.toFixed(2) }),
        el("td", { text: c.false_match_probability.toExponential(1) }),
        el("td", { text: named.has(c.version_id) ? "yes" : "" })));
    }
    if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "muted", text: "No candidates" })));
    card.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const data = new FormData();
    data.append("file", form.elements.file.files[0]);
    if (documentSelect.value) data.append("document_id", documentSelect.value);
    setStatus("Analysing… (rendering and registering the pages takes a few seconds)");
    try {
      show(await call("/api/identify-leak", { method: "POST", body: data }));
      setStatus("");
    } catch (e) {
      setStatus(e.message, true);
    }
  });

  $("logout-btn").addEventListener("click", async () => {
    // Best effort, as on the documents page: the user is logged out locally either way.
    try {
      await api("/api/logout", { method: "POST" });
    } catch (_) {
      // Ignored on purpose.
    }
    Tatou.clearToken();
    window.location.href = "login.html";
  });

  loadDocuments();
})();
