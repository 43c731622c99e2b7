// "Posted — undo": the seconds left, Alt+Z to undo; gone when the window closes
// (the server counts the time: its deliveries leave when it has passed).
(() => {
  const bar = document.getElementById("undo");
  if (!bar) return;
  const end = Date.now() + Number(bar.dataset.leftMs);
  const left = document.getElementById("undo-left");
  const button = document.getElementById("undo-button");
  const tick = () => {
    const s = Math.ceil((end - Date.now()) / 1000);
    if (s <= 0) {
      bar.querySelector("form").remove();
      left.textContent = "";
      bar.firstChild.textContent = bar.firstChild.textContent.replace("its deliveries wait while you may undo it.", "it is on its way.");
      clearInterval(timer);
      return;
    }
    left.textContent = `(${s} s left)`;
  };
  const timer = setInterval(tick, 250);
  tick();
  document.addEventListener("keydown", (e) => {
    if (e.altKey && (e.key === "z" || e.key === "Z" || e.code === "KeyZ") && document.body.contains(button)) {
      e.preventDefault();
      button.click();
    }
  });
})();
