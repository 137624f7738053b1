// A form marked data-once is sent once: a second press while the first is on its way does nothing, so
// a double click gives one answer. Shown again (going back), the form works again; the server then says
// where the first answer went.
for (const form of document.querySelectorAll("form[data-once]")) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
    }
    form.dataset.sent = "yes";
  });
  window.addEventListener("pageshow", () => {
    delete form.dataset.sent;
  });
}
