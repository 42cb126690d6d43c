/* The phone inspection form's offline draft. As the form is filled its state goes to
   localStorage under the form's draft key, with a client_key (a UUID made once per draft) and
   the moment it was filled. A submit while offline, or one whose POST fails for network
   reasons, keeps the draft and says so; the draft is sent when the browser comes back online
   or the page is opened again. The server records a replayed client_key once. Photos are not
   stored in the draft (localStorage cannot hold them reliably). */
(function () {
  "use strict";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "d-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function init(form) {
    var key = "civicgrid." + form.getAttribute("data-inspect-draft");
    var status = document.querySelector("[data-draft-status]");
    var sending = false;

    function load() {
      try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
    }
    function say(text) {
      if (!status) return;
      status.textContent = text;
      status.hidden = !text;
    }
    function save() {
      var draft = load() || { client_key: uuid(), fields: {} };
      draft.fields = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") return;
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
        draft.fields[el.name] = el.value;
      });
      draft.fields.client_key = draft.client_key;
      draft.fields.inspected_at = draft.fields.inspected_at || new Date().toISOString();
      localStorage.setItem(key, JSON.stringify(draft));
      return draft;
    }
    function restore(draft) {
      Object.keys(draft.fields).forEach(function (name) {
        var value = draft.fields[name];
        Array.prototype.forEach.call(form.querySelectorAll("[name='" + name + "']"), function (el) {
          if (el.type === "radio") el.checked = el.value === value;
          else if (el.type !== "file") el.value = value;
        });
      });
    }
    function send(draft, withFiles) {
      if (sending) return;
      sending = true;
      var data = withFiles ? new FormData(form) : new FormData();
      Object.keys(draft.fields).forEach(function (name) { data.set(name, draft.fields[name]); });
      data.set("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
      say(status && status.getAttribute("data-sending"));
      fetch(form.action || window.location.href, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          sending = false;
          if (response.redirected) {
            // Recorded (or recorded before: the same key answers with the first record).
            localStorage.removeItem(key);
            window.location.href = response.url;
          } else if (response.ok) {
            // The server refused the form (a validation message): show its page.
            localStorage.removeItem(key);
            return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
          } else {
            say(status && status.getAttribute("data-saved"));
          }
        })
        .catch(function () {
          sending = false;
          say(status && status.getAttribute("data-saved"));
        });
    }

    var existing = load();
    if (existing) {
      restore(existing);
      if (existing.pending && navigator.onLine) send(existing, false);
      else if (existing.pending) say(status && status.getAttribute("data-saved"));
    }
    form.addEventListener("change", save);
    form.addEventListener("input", save);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity()) return;
      var draft = save();
      draft.pending = true;
      localStorage.setItem(key, JSON.stringify(draft));
      if (!navigator.onLine) {
        say(status && status.getAttribute("data-saved"));
        return;
      }
      send(draft, true);
    });
    window.addEventListener("online", function () {
      var draft = load();
      if (draft && draft.pending) send(draft, false);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-inspect-draft]").forEach(init);
  });
})();
