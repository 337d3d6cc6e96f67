"use strict";

(() => {
  const { api, errorMessage, el, openBlob } = Tatou;

  // No token: nothing on this page can work, so leave before any request goes out.
  if (!Tatou.getToken()) {
    window.location.replace("login.html");
    return;
  }

  const $ = (id) => document.getElementById(id);
  const uploadForm = $("upload-form");
  const uploadStatus = $("upload-status");
  const docsBody = $("documents-body");
  const versionsDialog = $("versions-dialog");
  const versionsList = $("versions-list");
  const watermarkDialog = $("watermark-dialog");
  const watermarkForm = $("watermark-form");
  const watermarkResult = $("watermark-result");
  const readDialog = $("read-dialog");
  const readForm = $("read-form");
  const readResult = $("read-result");

  // An expired or revoked token makes every later call fail too; send the user to log in again.
  async function call(path, options) {
    const res = await api(path, options);
    if (res.status === 401 && options?.auth !== false) {
      Tatou.clearToken();
      window.location.href = "login.html";
      throw new Error("Session expired, please log in again");
    }
    return res;
  }

  async function callOk(path, options) {
    const res = await call(path, options);
    if (!res.ok) throw new Error(await errorMessage(res));
    return res;
  }

  // ---- formatting ---------------------------------------------------------------------

  function formatSize(bytes) {
    const n = Number(bytes);
    if (!Number.isFinite(n) || n < 0) return "";
    const units = ["B", "KB", "MB", "GB"];
    let value = n;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
  }

  // The server sends microseconds; Date only reliably parses milliseconds.
  function formatDate(text) {
    if (typeof text !== "string") return "";
    const date = new Date(text.replace(/(\.\d{3})\d+/, "$1"));
    return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
  }

  function shortHash(hash) {
    const text = typeof hash === "string" ? hash : "";
    return text.length > 10 ? `${text.slice(0, 10)}…` : text;
  }

  function versionHref(link) {
    return `/api/get-version/${encodeURIComponent(link)}`;
  }

  // ---- document list ------------------------------------------------------------------

  function messageRow(text, isError) {
    return el("tr", {}, el("td", { colSpan: 6, class: isError ? "error" : "muted", text }));
  }

  function actionButton(cls, label, doc) {
    return el("button", {
      type: "button",
      class: `btn small ${cls}`,
      "data-id": doc.id,
      "aria-label": `${label} document ${doc.name}`,
      text: label,
    });
  }

  function documentRow(doc) {
    return el(
      "tr",
      { "data-id": doc.id, "data-name": doc.name },
      el("td", { text: doc.id }),
      el("td", { class: "name", text: doc.name }),
      el("td", { text: formatDate(doc.creation) }),
      el("td", { text: formatSize(doc.size) }),
      el("td", {}, el("code", { title: doc.sha256 || "", text: shortHash(doc.sha256) })),
      el(
        "td",
        { class: "row-actions" },
        actionButton("btn-view", "View", doc),
        actionButton("btn-versions", "Versions", doc),
        actionButton("btn-watermark", "Watermark", doc),
        actionButton("btn-read", "Read watermark", doc),
        actionButton("btn-delete danger", "Delete", doc),
      ),
    );
  }

  async function loadDocuments() {
    try {
      const res = await callOk("/api/list-documents");
      const data = await res.json();
      const docs = Array.isArray(data?.documents) ? data.documents : [];
      if (docs.length === 0) {
        docsBody.replaceChildren(messageRow("No documents yet. Upload one above."));
      } else {
        docsBody.replaceChildren(...docs.map(documentRow));
      }
    } catch (err) {
      docsBody.replaceChildren(messageRow(`Failed to load: ${err.message}`, true));
    }
  }

  // ---- upload -------------------------------------------------------------------------

  let statusTimer;
  function setUploadStatus(text, isError) {
    clearTimeout(statusTimer);
    uploadStatus.textContent = text;
    uploadStatus.classList.toggle("error", Boolean(isError));
  }

  // Saves typing: the file name is a good default for the document name.
  uploadForm.elements.file.addEventListener("change", () => {
    const file = uploadForm.elements.file.files[0];
    const nameInput = uploadForm.elements.name;
    if (file && !nameInput.value) nameInput.value = file.name.replace(/\.pdf$/i, "");
  });

  uploadForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!uploadForm.reportValidity()) return;
    const button = uploadForm.querySelector("button[type=submit]");
    button.disabled = true;
    setUploadStatus("Uploading…");
    try {
      await callOk("/api/upload-document", { method: "POST", body: new FormData(uploadForm) });
      setUploadStatus("Uploaded successfully");
      uploadForm.reset();
      await loadDocuments();
    } catch (err) {
      setUploadStatus(`Upload failed: ${err.message}`, true);
    } finally {
      button.disabled = false;
      statusTimer = setTimeout(() => setUploadStatus(""), 3000);
    }
  });

  // ---- row actions --------------------------------------------------------------------

  async function viewDocument(id) {
    const res = await callOk(`/api/get-document/${encodeURIComponent(id)}`);
    openBlob(await res.blob());
  }

  async function openVersion(link) {
    try {
      const res = await callOk(versionHref(link), { auth: false });
      openBlob(await res.blob());
    } catch (err) {
      alert(`Open failed: ${err.message}`);
    }
  }

  function versionItem(version) {
    const details = `Method: ${version.method ?? ""} • Intended for: ${version.intended_for ?? ""}`;
    return el(
      "li",
      {},
      el("a", { href: versionHref(version.link), target: "_blank", rel: "noopener", text: version.link }),
      el("p", { class: "muted", text: details }),
      el("button", {
        type: "button",
        class: "btn small btn-open-version",
        "data-link": version.link,
        "aria-label": `Open version ${version.link}`,
        text: "Open",
      }),
    );
  }

  async function showVersions(id) {
    $("versions-doc-id").textContent = id;
    versionsList.replaceChildren(el("li", { class: "muted", text: "Loading…" }));
    versionsDialog.showModal();
    try {
      const res = await callOk(`/api/list-versions/${encodeURIComponent(id)}`);
      const data = await res.json();
      const versions = Array.isArray(data?.versions) ? data.versions : [];
      versionsList.replaceChildren(
        ...(versions.length ? versions.map(versionItem) : [el("li", { class: "muted", text: "No versions yet." })]),
      );
    } catch (err) {
      versionsList.replaceChildren(el("li", { class: "error", text: `Failed to load: ${err.message}` }));
    }
  }

  // The method list only changes when the server is redeployed, so one fetch per page is enough.
  // A failed fetch is not cached, so reopening the dialog retries.
  let methodsPromise;
  function getMethods() {
    methodsPromise ??= callOk("/api/get-watermarking-methods", { auth: false })
      .then((res) => res.json())
      .then((data) => (Array.isArray(data?.methods) ? data.methods : []))
      .catch((err) => {
        methodsPromise = undefined;
        throw err;
      });
    return methodsPromise;
  }

  async function fillMethods(select) {
    select.replaceChildren(el("option", { value: "", text: "Loading…" }));
    try {
      const methods = await getMethods();
      select.replaceChildren(
        ...methods.map((m) =>
          el("option", { value: m.name, text: m.description ? `${m.name} — ${m.description}` : m.name }),
        ),
      );
    } catch (err) {
      select.replaceChildren(el("option", { value: "", text: `Could not load methods: ${err.message}` }));
    }
  }

  function openFormDialog(dialog, form, id, docIdEl, resultEl) {
    form.reset();
    dialog.dataset.id = id;
    docIdEl.textContent = id;
    resultEl.replaceChildren();
    resultEl.classList.remove("error");
    fillMethods(form.elements.method);
    dialog.showModal();
  }

  async function deleteDocument(id, name) {
    if (!confirm(`Delete document #${id} "${name}"? This cannot be undone.`)) return;
    await callOk(`/api/delete-document/${encodeURIComponent(id)}`, { method: "DELETE" });
    await loadDocuments();
  }

  docsBody.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-id]");
    if (!button) return;
    const id = button.dataset.id;
    const name = button.closest("tr")?.dataset.name ?? "";
    const cls = button.classList;
    try {
      if (cls.contains("btn-view")) await viewDocument(id);
      else if (cls.contains("btn-versions")) await showVersions(id);
      else if (cls.contains("btn-watermark")) {
        openFormDialog(watermarkDialog, watermarkForm, id, $("watermark-doc-id"), watermarkResult);
      } else if (cls.contains("btn-read")) {
        openFormDialog(readDialog, readForm, id, $("read-doc-id"), readResult);
      } else if (cls.contains("btn-delete")) await deleteDocument(id, name);
    } catch (err) {
      alert(`Action failed: ${err.message}`);
    }
  });

  // ---- watermark dialogs --------------------------------------------------------------

  // The API treats an empty position as "no position", so it is left out rather than sent as "".
  function withPosition(body, form) {
    const position = form.elements.position.value;
    if (position.trim() !== "") body.position = position;
    return body;
  }

  async function submitJson(form, path, body) {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const res = await callOk(path, { method: "POST", json: body });
      return await res.json();
    } finally {
      button.disabled = false;
    }
  }

  watermarkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!watermarkForm.reportValidity()) return;
    const f = watermarkForm.elements;
    const id = watermarkDialog.dataset.id;
    const body = withPosition(
      { method: f.method.value, intended_for: f.intended_for.value, secret: f.secret.value, key: f.key.value },
      watermarkForm,
    );
    watermarkResult.classList.remove("error");
    watermarkResult.replaceChildren(el("p", { class: "muted", text: "Creating…" }));
    try {
      const v = await submitJson(watermarkForm, `/api/create-watermark/${encodeURIComponent(id)}`, body);
      watermarkResult.replaceChildren(
        el("p", { text: `Version created for document #${v.documentid ?? id}` }),
        el("p", {}, el("a", { href: versionHref(v.link), target: "_blank", rel: "noopener", text: v.link })),
        el("button", { type: "button", class: "btn small btn-open-version", "data-link": v.link, text: "Open version" }),
      );
    } catch (err) {
      watermarkResult.classList.add("error");
      watermarkResult.replaceChildren(el("p", { text: `Create failed: ${err.message}` }));
      alert(`Create failed: ${err.message}`);
    }
  });

  readForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!readForm.reportValidity()) return;
    const f = readForm.elements;
    const id = readDialog.dataset.id;
    const body = withPosition({ method: f.method.value, key: f.key.value }, readForm);
    readResult.classList.remove("error");
    readResult.textContent = "Reading…";
    try {
      const data = await submitJson(readForm, `/api/read-watermark/${encodeURIComponent(id)}`, body);
      readResult.textContent = JSON.stringify(data, null, 2);
    } catch (err) {
      readResult.classList.add("error");
      readResult.textContent = `Read failed: ${err.message}`;
      alert(`Read failed: ${err.message}`);
    }
  });

  // One listener per dialog covers every "Open" button, including ones built later.
  for (const dialog of [versionsDialog, watermarkDialog, readDialog]) {
    dialog.addEventListener("click", (event) => {
      const open = event.target.closest(".btn-open-version");
      if (open) openVersion(open.dataset.link);
      else if (event.target.closest("[data-close]")) dialog.close();
    });
  }

  // ---- page-level controls ------------------------------------------------------------

  $("refresh-btn").addEventListener("click", loadDocuments);

  $("logout-btn").addEventListener("click", async () => {
    // The server-side revocation is best effort: the user is logged out locally either way.
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
