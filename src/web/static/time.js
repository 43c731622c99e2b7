// Times in the reader's time zone and language: every <time datetime="ISO"> shows the
// local date and time; the ISO value stays in its title.
(() => {
  const fmt = new Intl.DateTimeFormat(navigator.language,
    { dateStyle: "medium", timeStyle: "short" });
  document.querySelectorAll("time[datetime]").forEach((t) => {
    const d = new Date(t.dateTime);
    if (!isNaN(d)) t.textContent = fmt.format(d);
  });
})();
