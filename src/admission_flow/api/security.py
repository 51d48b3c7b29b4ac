"""Who is calling: ``Authorization: Bearer af_…`` → the token's ``Caller`` (its subtree, roles, read-only).

Every ``/api/v1`` route but the problem pages needs a token. A write needs a token that is not read-only.
What a caller may see is decided in SQL by passing its organisation as ``within`` to the facade: a candidate
outside the subtree is "not found", exactly like one that does not exist, so no answer tells the two apart.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from admission_flow.domain.records import Caller
from admission_flow.errors import Forbidden, InvalidInput, Unauthenticated
from admission_flow.flow import AdmissionFlow

bearer = HTTPBearer(auto_error=False, description="An API token from `admission-flow token create` (af_…)")


# The dependencies are coroutines: a plain ``def`` dependency costs a trip to the thread pool per request, more
# than the token lookup it would keep off the event loop (one indexed read of a row that is in cache).


async def flow_of(request: Request) -> AdmissionFlow:
    found: AdmissionFlow = request.app.state.flow
    return found


async def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a valid API token is required (Authorization: Bearer af_…)")
    flow: AdmissionFlow = request.app.state.flow
    found = flow.authenticate(credentials.credentials)
    request.state.caller = found
    return found


async def writer(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if who.read_only:
        raise Forbidden("this token is read-only")
    return who


def role_for(who: Caller, asked: str | None) -> str | None:
    """The role an event is fired in: one the token holds (its only one when none is named)."""
    if asked is not None:
        if asked not in who.roles:
            raise Forbidden(f"this token does not hold the role {asked!r} (it holds: {', '.join(who.roles) or 'none'})")
        return asked
    if len(who.roles) > 1:
        raise InvalidInput(f"role: this token holds several roles ({', '.join(who.roles)}); name the one acting")
    return who.roles[0] if who.roles else None


Flow = Annotated[AdmissionFlow, Depends(flow_of)]
Reader = Annotated[Caller, Depends(caller)]
Writer = Annotated[Caller, Depends(writer)]
