"""Application factory: wires configuration, storage, database, extensions, blueprints, CLI."""

from __future__ import annotations

from flask import Flask

from service.config import Config


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    from service import logs

    logs.configure()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static",
                static_url_path="/static")
    app.config.from_object(config)
    app.config["TDKT_CONFIG"] = config
    config.VAR_DIR.mkdir(parents=True, exist_ok=True)
    if config.TRUSTED_PROXIES:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = config.TRUSTED_PROXIES
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from service.web import extensions

    extensions.init_app(app, config)

    from service.web import security, templating

    security.init_app(app)
    templating.init_app(app)

    from service.web.api import bp as api_bp
    from service.web.assets import bp as assets_bp
    from service.web.audit import bp as audit_bp
    from service.web.auth import bp as auth_bp
    from service.web.campaigns import bp as campaigns_bp
    from service.web.dashboard import bp as dashboard_bp
    from service.web.dossiers import bp as dossiers_bp
    from service.web.errors import init_app as init_errors
    from service.web.inbox import bp as inbox_bp
    from service.web.jobs import bp as jobs_bp
    from service.web.models import bp as models_bp
    from service.web.notifications import bp as notifications_bp
    from service.web.paper_templates import bp as paper_templates_bp
    from service.web.users import bp as users_bp

    for blueprint in (auth_bp, inbox_bp, dossiers_bp, campaigns_bp, models_bp,
                      paper_templates_bp, jobs_bp, users_bp, audit_bp, assets_bp, dashboard_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    extensions.csrf.exempt(api_bp)
    init_errors(app)

    from service.cli import init_app as init_cli

    init_cli(app)
    return app
