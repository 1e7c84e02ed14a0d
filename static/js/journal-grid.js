// Keyboard movement in the class journal grid. Each cell saves itself
// through htmx when the teacher leaves it (the "change" event).
(function () {
  "use strict";

  function cellInput(table, row, col) {
    var tr = table.tBodies[0].rows[row];
    if (!tr) { return null; }
    var inputs = tr.querySelectorAll("input.grid-input");
    return inputs[col] || null;
  }

  function position(input) {
    var tr = input.closest("tr");
    var inputs = Array.prototype.slice.call(tr.querySelectorAll("input.grid-input"));
    return { row: tr.sectionRowIndex, col: inputs.indexOf(input) };
  }

  function moveTo(table, row, col) {
    var target = cellInput(table, row, col);
    if (target) {
      target.focus();
      target.select();
    }
    return target;
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("grid-input")) {
      return;
    }
    var table = input.closest("table[data-grid]");
    var at = position(input);
    if (event.key === "Enter" || event.key === "ArrowDown") {
      event.preventDefault();
      if (!moveTo(table, at.row + 1, at.col) && event.key === "Enter") {
        // Past the last pupil: on to the top of the next lesson.
        if (!moveTo(table, 0, at.col + 1)) { input.blur(); }
      }
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      moveTo(table, Math.max(at.row - 1, 0), at.col);
    } else if (event.key === "ArrowLeft" && input.selectionStart === 0 && input.selectionEnd === 0) {
      event.preventDefault();
      moveTo(table, at.row, at.col - 1);
    } else if (event.key === "ArrowRight" && input.selectionStart === input.value.length) {
      event.preventDefault();
      moveTo(table, at.row, at.col + 1);
    }
  });

  // A save that got no response or a server error (5xx) leaves the typed
  // value in place, marked as not saved, so the teacher can type it again. A
  // 400, 403 or 409 response replaces the cell with the server's own message.
  function markUnsaved(event, message) {
    var input = event.detail.elt;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("grid-input")) {
      return;
    }
    var cell = input.closest("td");
    var key = "unsaved-" + cell.id;
    var note = document.getElementById(key);
    if (!note) {
      note = document.createElement("span");
      note.className = "grid-error";
      note.id = key;
      note.setAttribute("role", "alert");
      cell.appendChild(note);
    }
    note.textContent = message;
    cell.classList.add("grid-cell-error");
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", key);
  }

  document.addEventListener("htmx:responseError", function (event) {
    markUnsaved(event, "Не сохранено: ошибка на сервере. Введите отметку ещё раз через минуту.");
  });

  document.addEventListener("htmx:sendError", function (event) {
    markUnsaved(event, "Не сохранено: нет связи с сервером. Проверьте подключение и введите отметку ещё раз.");
  });

  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.classList.contains("grid-input")) {
      input.select();
    }
  });
})();
