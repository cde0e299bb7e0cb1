"""Browser assets installed from npm (package.json), served by the service: no CDN."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from service.web.extensions import services

bp = Blueprint("assets", __name__)

# Only the folders the pages use are reachable; nothing else of node_modules is served.
ALLOWED = {
    "bootstrap": "bootstrap/dist",
    "bootstrap-icons": "bootstrap-icons/font",
    "htmx": "htmx.org/dist",
    "bpmn-js": "bpmn-js/dist",
}


@bp.route("/assets/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    folder = ALLOWED.get(package)
    if folder is None:
        abort(404)
    root = services().config.NODE_MODULES / folder
    return send_from_directory(root, filename, max_age=86400)
