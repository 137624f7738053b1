// Long jobs run in steps: a form marked data-continue sends the next step as soon as the page shows the
// last one's progress. Without JavaScript, its button does the same.
const next = document.querySelector("form[data-continue]");
if (next) {
  window.setTimeout(() => next.submit(), 50);
}
