// Comfort only: every page works without this script.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  // The report form shows the unit field or the common-area field, whichever applies.
  const places = document.querySelectorAll("input[name=place]");
  const unit = document.querySelector(".when-unit");
  const common = document.querySelector(".when-common");
  const show = () => {
    const chosen = document.querySelector("input[name=place]:checked");
    if (!chosen || !unit || !common) return;
    unit.hidden = chosen.value !== "unit";
    common.hidden = chosen.value !== "common";
  };
  places.forEach((radio) => radio.addEventListener("change", show));
  show();
});
