// A journey follows one company: a journey picker marked data-follows="<company picker's id>" offers only
// the journeys with the company chosen there (its options carry data-business). Without JavaScript every
// journey is listed, grouped under its company's name, and the server refuses one with another company.
for (const picker of document.querySelectorAll("select[data-follows]")) {
  const company = document.getElementById(picker.dataset.follows);
  if (!(company instanceof HTMLSelectElement)) {
    continue;
  }
  const follow = () => {
    for (const option of picker.querySelectorAll("option[data-business]")) {
      const other = option.dataset.business !== company.value;
      option.hidden = other;
      option.disabled = other;
      if (other && option.selected) {
        picker.value = ""; // "None": a journey with another company cannot take this record
      }
    }
    for (const group of picker.querySelectorAll("optgroup")) {
      const empty = group.querySelector("option:not([disabled])") === null;
      group.hidden = empty;
      group.disabled = empty;
    }
  };
  company.addEventListener("change", follow);
  follow();
}
