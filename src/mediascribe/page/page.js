// The transcript page: click or press Enter on a line to hear it; the line being spoken is
// highlighted and kept in view; #t=SECONDS seeks on load; #media=URL plays another source of the
// same origin (a fresh presigned URL); the search box marks matches and steps through them.
(() => {
  "use strict";
  const player = document.getElementById("player");
  const lines = Array.from(document.querySelectorAll("#lines .line"));
  const starts = lines.map((line) => Number(line.dataset.start));
  const stage = document.querySelector(".stage");
  const search = document.getElementById("search");
  const matchCount = document.getElementById("matches");
  let current = -1;
  let marks = [];
  let markAt = -1;

  const fragment = () => new URLSearchParams(location.hash.slice(1));

  function mediaFromFragment() {
    const value = fragment().get("media");
    if (!value) return;
    let url;
    try {
      url = new URL(value, location.href);
    } catch {
      return;
    }
    if (url.protocol === "https:" || url.protocol === "http:") player.src = url.href;
  }

  function seek(seconds) {
    if (Number.isFinite(seconds) && seconds >= 0) player.currentTime = seconds;
  }

  function seekFromFragment() {
    const value = fragment().get("t");
    if (value !== null) seek(Number(value));
  }

  // Remember the position in the address, keeping #media, so a reload or a shared link comes back.
  function remember(seconds) {
    const params = fragment();
    params.set("t", String(seconds));
    history.replaceState(null, "", "#" + params.toString());
  }

  function play(seconds) {
    seek(seconds);
    remember(seconds);
    player.play().catch(() => {});
  }

  // The last line starting at or before the time (binary search over the sorted starts).
  function lineAt(time) {
    let low = 0;
    let high = starts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (starts[middle] <= time) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  function highlight() {
    const index = lineAt(player.currentTime);
    if (index === current) return;
    if (current >= 0) {
      lines[current].classList.remove("current");
      lines[current].removeAttribute("aria-current");
    }
    current = index;
    if (index >= 0) {
      lines[index].classList.add("current");
      lines[index].setAttribute("aria-current", "true");
      lines[index].scrollIntoView({ block: "nearest" });
    }
  }

  // Scrolled-to lines and matches clear the sticky player instead of hiding under it.
  function measureStage() {
    document.documentElement.style.setProperty("--stage-height", stage.offsetHeight + "px");
  }

  function clearMarks() {
    for (const mark of marks) {
      const parent = mark.parentNode;
      mark.replaceWith(document.createTextNode(mark.textContent));
      parent.normalize();
    }
    marks = [];
    markAt = -1;
  }

  function find(query) {
    clearMarks();
    const needle = query.trim();
    if (!needle) {
      matchCount.textContent = "";
      return;
    }
    const pattern = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "giu");
    for (const line of lines) {
      const text = line.querySelector(".text");
      const value = text.textContent;
      const pieces = [];
      let from = 0;
      for (const match of value.matchAll(pattern)) {
        const mark = document.createElement("mark");
        mark.textContent = match[0];
        pieces.push(value.slice(from, match.index), mark);
        marks.push(mark);
        from = match.index + match[0].length;
      }
      if (pieces.length) text.replaceChildren(...pieces, value.slice(from));
    }
    matchCount.textContent = marks.length ? marks.length + " found" : "not found";
    if (marks.length) step(1);
  }

  function step(direction) {
    if (!marks.length) return;
    if (markAt >= 0) marks[markAt].classList.remove("selected");
    markAt = (markAt + direction + marks.length) % marks.length;
    const mark = marks[markAt];
    mark.classList.add("selected");
    mark.scrollIntoView({ block: "center" });
    matchCount.textContent = markAt + 1 + " of " + marks.length;
  }

  lines.forEach((line, index) => {
    line.addEventListener("click", () => play(starts[index]));
    line.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        play(starts[index]);
      }
    });
  });
  for (const link of document.querySelectorAll("a.jump")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      play(Number(link.dataset.start));
    });
  }
  search.addEventListener("input", () => find(search.value));
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      step(event.shiftKey ? -1 : 1);
    }
  });
  document.getElementById("next-match").addEventListener("click", () => step(1));
  document.getElementById("previous-match").addEventListener("click", () => step(-1));
  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);
  window.addEventListener("hashchange", seekFromFragment);
  window.addEventListener("resize", measureStage);
  player.addEventListener("loadedmetadata", measureStage);

  measureStage();
  mediaFromFragment();
  seekFromFragment();
  highlight();
})();
