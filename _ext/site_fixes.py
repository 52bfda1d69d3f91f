"""Small fixes to the rendered site, as a local Sphinx extension.

sphinx-thebe registers its configuration script once per read of the sources, so a page
can carry it twice (so does sphinx-togglebutton's selector) and the browser reports
"Identifier 'THEBE_JS_URL' has already been declared". Each page keeps one copy of every
script.
"""


def _unique_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        # The same inline script is registered once with filename None and once with "".
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _unique_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
