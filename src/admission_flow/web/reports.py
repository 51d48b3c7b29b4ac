"""The report board: quota attainment and the composition of the admitted for one year, each as a table and as
the chart of the reports (``AdmissionFlow.report_chart``, SVG), over the signed-in person's subtree.

The figures come from the same SQL aggregates as ``admission-flow report`` with ``within`` set to the person's
organisation, so an organisation outside the subtree answers 404 like every other page. The charts are served
by the app as ``image/svg+xml`` and drawn with their text as paths: no font, script or asset from elsewhere.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from admission_flow.errors import InvalidInput, NotFound
from admission_flow.web import session as web
from admission_flow.web.pages import router, signed_in
from admission_flow.web.render import SECURITY_HEADERS, page

CHARTS = ("attainment", "composition")


def _year(request: Request, year: str) -> int:
    """The year asked for (``YYYY``, 1900 to 2200), this year on the flow's clock when none is; ``InvalidInput``
    otherwise."""
    if not year.strip():
        return web.flow_of(request).today().year
    if not (len(year) == 4 and year.isdigit() and 1900 <= int(year) <= 2200):
        raise InvalidInput(f"year {year[:20]!r}: four digits, 1900 to 2200")
    return int(year)


@router.get("/boards/reports")
@signed_in
async def report_board(request: Request, org: str | None = None, year: str = "") -> Response:
    flow = web.flow_of(request)
    user = request.state.web_session.user
    root = flow.org(org or user.org_id, within=user.org_id)
    try:
        chosen = _year(request, year)
    except InvalidInput:  # the form again, with what was typed and why it is refused
        return page(request, "report_board.html", 400, root=root, year=year, reports=None, active="reports")
    found = {name: flow.report(name, root.id, year=chosen, within=user.org_id) for name in CHARTS}
    return page(request, "report_board.html", root=root, year=chosen, reports=found, active="reports")


@router.get("/boards/charts/{name}.svg")
@signed_in
async def report_chart(request: Request, name: str, org: str | None = None, year: str = "") -> Response:
    if name not in CHARTS:
        raise NotFound("chart", name)
    flow = web.flow_of(request)
    user = request.state.web_session.user
    found = flow.report(name, org or user.org_id, year=_year(request, year), within=user.org_id)
    # matplotlib's SVG carries its own <style>; opened on its own, it may load and run nothing else
    headers = SECURITY_HEADERS | {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    # Drawing takes matplotlib tens of milliseconds: in a worker thread, so the server keeps answering meanwhile
    # (charts.py draws on its own Figure objects, never on pyplot's shared state).
    body = await run_in_threadpool(flow.report_chart, found, "svg")
    return Response(body, media_type="image/svg+xml", headers=headers)
