// Applies the saved theme before the first paint (a file, not inline: the CSP allows 'self' scripts only).
(function () {
  try {
    var saved = localStorage.getItem("cspm.theme");
    var dark = saved ? saved === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
    document.documentElement.dataset.theme = dark ? "dark" : "light";
  } catch (e) {
    document.documentElement.dataset.theme = "light";
  }
})();
