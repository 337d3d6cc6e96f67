"use strict";

(() => {
  const form = document.getElementById("signup-form");
  const status = document.getElementById("form-status");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;

    const data = new FormData(form);
    const login = String(data.get("login"));
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = "";
    try {
      const res = await Tatou.api("/api/create-user", {
        method: "POST",
        auth: false,
        json: { login, email: data.get("email"), password: data.get("password") },
      });
      if (!res.ok) throw new Error(await Tatou.errorMessage(res));
      alert(`Account created! Welcome ${login}`);
      window.location.href = "login.html";
    } catch (err) {
      Tatou.report(status, `Error: ${err.message}`, true);
    } finally {
      button.disabled = false;
    }
  });
})();
