"""Read an HTML form and build the data a browser would submit for it."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_class: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_class = form_class
        self.in_form = False
        self.done = False
        self.action: str | None = None
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._textarea_text: list[str] = []
        self._option_value: str | None = None
        self._option_text: list[str] = []
        self._option_selected = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.done and not self.in_form:
            classes = attributes.get("class", "").split()
            if self.form_class is None or self.form_class in classes:
                self.in_form = True
                self.action = attributes.get("action", "")
            return
        if not self.in_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attributes:
                    self.fields.append((name, attributes.get("value", "on")))
            elif kind not in {"submit", "button", "image", "file"}:
                self.fields.append((name, attributes.get("value", "")))
        elif tag == "select" and name:
            self._select = name
            self._select_options = []
        elif tag == "option" and self._select is not None:
            self._option_value = attributes.get("value")
            self._option_text = []
            self._option_selected = "selected" in attributes
        elif tag == "textarea" and name:
            self._textarea = name
            self._textarea_text = []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea_text.append(data)
        if self._option_value is None and self._select is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form = False
            self.done = True
        elif tag == "option" and self._select is not None:
            value = self._option_value
            if value is None:
                value = "".join(self._option_text).strip()
            self._select_options.append((value, self._option_selected))
            self._option_value = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._select_options if selected]
            if chosen:
                self.fields.append((self._select, chosen[-1]))
            elif self._select_options:
                self.fields.append((self._select, self._select_options[0][0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._textarea_text)
            self.fields.append((self._textarea, text.removeprefix("\n")))
            self._textarea = None


def read_form(html: str, form_class: str | None = None) -> dict[str, str]:
    """Return the first form's (or the first with ``form_class``) field values."""
    parser = _FormParser(form_class)
    parser.feed(html)
    assert parser.done, f"no form with class {form_class!r} on the page"
    return dict(parser.fields)
