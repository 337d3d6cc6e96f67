"use strict";

(() => {
  const form = document.getElementById("login-form");
  const status = document.getElementById("form-status");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;

    const data = new FormData(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = "";
    try {
      const res = await Tatou.api("/api/login", {
        method: "POST",
        auth: false,
        json: { email: data.get("email"), password: data.get("password") },
      });
      const result = await Tatou.readJson(res);
      if (!result || typeof result.token !== "string" || !result.token) {
        throw new Error("No token in the server's answer");
      }
      Tatou.setToken(result.token);
      alert("Welcome back!");
      window.location.href = "documents.html";
    } catch (err) {
      Tatou.report(status, `Error: ${err.message}`, true);
    } finally {
      button.disabled = false;
    }
  });
})();
