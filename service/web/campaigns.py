"""Campaign pages: the route of a campaign with how many dossiers wait at each step."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from service.usecases import route_map
from service.web import serializers as ser
from service.web.common import login_required, principal
from service.web.extensions import unit_of_work

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@bp.route("/<int:campaign_id>/route")
@login_required
def route(campaign_id: int):
    with unit_of_work(write=False) as uow:
        campaign = route_map.get_campaign(uow, campaign_id)
        versions = route_map.campaign_versions(uow, campaign)
        return render_template("campaigns/route.html", campaign=campaign, versions=versions)


@bp.route("/<int:campaign_id>/heatmap.json")
@login_required
def heatmap(campaign_id: int):
    with unit_of_work(write=False) as uow:
        result = route_map.campaign_heatmap(uow, principal(), campaign_id)
        return jsonify(ser.heatmap(result))
