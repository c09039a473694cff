// The order form shows the body surface area (Mosteller) and the calculated dose as the
// provider types; the server computes both again when the order is signed.
document.addEventListener("DOMContentLoaded", () => {
  const out = document.getElementById("order-calculation");
  if (!out) {
    return;
  }
  const field = (name) => document.getElementById(`id_${name}`);
  const number = (name) => {
    const value = parseFloat((field(name) || {}).value);
    return Number.isFinite(value) && value > 0 ? value : null;
  };
  const update = () => {
    const height = number("dosing_height_cm");
    const weight = number("dosing_weight_kg");
    const per = number("dose_per_basis");
    const basis = (field("dose_basis") || {}).value;
    if (!height || !weight) {
      out.textContent = "Enter the dosing height and weight to see the body surface area.";
      return;
    }
    const bsa = Math.round(Math.sqrt((height * weight) / 3600) * 100) / 100;
    let text = `BSA √(${height} cm × ${weight} kg / 3600) = ${bsa.toFixed(2)} m²`;
    if (per && basis) {
      const factor = { mg_m2: bsa, mg_kg: weight, flat: 1 }[basis];
      text += `; calculated dose ${(per * factor).toFixed(2)} mg`;
    }
    out.textContent = text;
  };
  ["dosing_height_cm", "dosing_weight_kg", "dose_per_basis", "dose_basis"].forEach((name) => {
    const input = field(name);
    if (input) {
      input.addEventListener("input", update);
      input.addEventListener("change", update);
    }
  });
  update();
});
