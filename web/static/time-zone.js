// The browser's time zone, for the fields marked data-browser-time-zone: sign-up sends it with the new
// account, and a time-zone picker with nothing chosen yet starts at it. Without JavaScript the server uses
// UTC, and the picker starts there.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

// Browsers may name a zone by an older name than the picker's (Asia/Calcutta for Asia/Kolkata): both
// resolve to the same zone in the browser's own database.
function sameZone(name) {
  try {
    return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone === zone;
  } catch {
    return false; // a name this browser does not know
  }
}

if (zone) {
  for (const field of document.querySelectorAll("[data-browser-time-zone]")) {
    if (field instanceof HTMLSelectElement) {
      const options = Array.from(field.options);
      const match = options.find((option) => option.value === zone) ?? options.find((option) => sameZone(option.value));
      if (match) {
        match.selected = true;
      }
    } else if (field instanceof HTMLInputElement && !field.value) {
      field.value = zone;
    }
  }
}
