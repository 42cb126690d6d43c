/* Searchable selects (core/widgets.py SearchableSelect, SearchableSelectMultiple): a search
   box over a long, grouped <select>; a several-choice select becomes a list of checkboxes
   (no Ctrl-click, usable on a phone). The <select> stays the form's field, so the page
   works the same without this script. Texts come from the widget's data attributes. */
(function () {
  "use strict";

  function matches(option, words) {
    var text = (option.textContent + " " + option.value).toLowerCase();
    return words.every(function (w) { return text.indexOf(w) !== -1; });
  }

  function wordsOf(input) {
    return input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  }

  function searchBox(select) {
    var input = document.createElement("input");
    input.type = "search";
    input.className = "picker-search";
    input.placeholder = select.dataset.pickerPlaceholder || "";
    input.setAttribute("aria-label", select.dataset.pickerPlaceholder || "");
    input.setAttribute("autocomplete", "off");
    select.parentNode.insertBefore(input, select);
    return input;
  }

  // One choice: rebuild the options from the full list, keeping the groups and the choice
  // (hiding <option>s does not work in every phone browser).
  function initSingle(select) {
    var original = select.cloneNode(true);
    var input = searchBox(select);
    input.addEventListener("input", function () {
      var words = wordsOf(input);
      var chosen = select.value;
      var fresh = document.createDocumentFragment();
      Array.prototype.forEach.call(original.children, function (node) {
        if (node.tagName === "OPTGROUP") {
          var group = node.cloneNode(false);
          Array.prototype.forEach.call(node.children, function (option) {
            if (!words.length || matches(option, words) || option.value === chosen) {
              group.appendChild(option.cloneNode(true));
            }
          });
          if (group.children.length) { fresh.appendChild(group); }
        } else if (!words.length || !node.value || matches(node, words) || node.value === chosen) {
          fresh.appendChild(node.cloneNode(true));
        }
      });
      select.replaceChildren(fresh);
      select.value = chosen;
      // One match: choose it, so typing a code is enough.
      var real = select.querySelectorAll("option:not([value=''])");
      if (words.length && real.length === 1 && !chosen) {
        select.value = real[0].value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  // Several choices: a checkbox per option, kept in step with the hidden <select multiple>.
  function initMultiple(select) {
    var input = searchBox(select);
    var list = document.createElement("div");
    list.className = "picker-list";
    list.setAttribute("role", "group");
    Array.prototype.forEach.call(select.options, function (option) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = option.selected;
      box.addEventListener("change", function () {
        option.selected = box.checked;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + option.textContent));
      label._option = option;
      list.appendChild(label);
    });
    select.hidden = true;
    select.parentNode.insertBefore(list, select.nextSibling);
    input.addEventListener("input", function () {
      var words = wordsOf(input);
      Array.prototype.forEach.call(list.children, function (label) {
        label.hidden = words.length > 0 && !matches(label._option, words) && !label._option.selected;
      });
    });
  }

  function init(root) {
    (root || document).querySelectorAll("select[data-picker]").forEach(function (select) {
      if (select._picker) { return; }
      select._picker = true;
      if (select.multiple) { initMultiple(select); } else { initSingle(select); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else { init(); }
  // Parts htmx swaps in (the workbench's results) bring their own selects.
  document.addEventListener("htmx:load", function (e) { init(e.detail && e.detail.elt); });
})();
