// Queue page: "n" opens the next document.
document.addEventListener("keydown", (e) => {
  if (e.target.matches("input, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "n") { document.getElementById("next").click(); }
});
