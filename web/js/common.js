"use strict";

// Shared helpers for every page. Loaded as a classic script before the page's own script,
// so everything hangs off one global to avoid name clashes.
const Tatou = (() => {
  // sessionStorage rather than localStorage: the token dies with the tab, which limits
  // how long a stolen or forgotten token stays usable on a shared machine.
  const TOKEN_KEY = "authToken";

  function getToken() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function setToken(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  }

  function clearToken() {
    sessionStorage.removeItem(TOKEN_KEY);
  }

  // `json` is sent as a JSON body; `body` (e.g. FormData) is passed through untouched so the
  // browser can set the multipart boundary itself.
  function api(path, { method = "GET", json, body, auth = true } = {}) {
    const headers = {};
    const token = getToken();
    if (auth && token) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    return fetch(path, { method, headers, body, credentials: "same-origin" });
  }

  // The server reports failures as {"error": "...", "request_id": "..."}; anything else
  // (proxy pages, empty bodies) falls back to the HTTP status line.
  async function errorMessage(res) {
    try {
      const data = await res.clone().json();
      if (data && typeof data.error === "string" && data.error) return data.error;
    } catch (_) {
      // Not JSON: use the status below.
    }
    return res.statusText || `HTTP ${res.status}`;
  }

  async function readJson(res) {
    if (!res.ok) throw new Error(await errorMessage(res));
    return res.json();
  }

  // Build DOM nodes instead of HTML strings so server-supplied text can never become markup.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("data-")) node.setAttribute(key, String(value));
      else if (key in node) node[key] = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // Blob URLs keep the PDF in memory until revoked; a minute is enough for the new tab to load it.
  function openBlob(blob) {
    const url = URL.createObjectURL(blob);
    const win = window.open(url);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    if (!win) alert("The PDF could not be opened. Please allow pop-ups for this site.");
  }

  // Shows a message both in an on-page live region (for screen readers and tests) and as an alert.
  function report(statusEl, message, isError) {
    if (statusEl) {
      statusEl.textContent = message;
      statusEl.classList.toggle("error", Boolean(isError));
    }
    alert(message);
  }

  return { getToken, setToken, clearToken, api, errorMessage, readJson, el, openBlob, report };
})();
