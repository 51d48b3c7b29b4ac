"""The facade's doors for the web dashboard: its people (accounts, sign-in, sessions) and its pages that read
many candidates (My work, the boards). ``AdmissionFlow`` inherits them; the candidate page uses the doors every
adapter uses (``candidate``, ``history``, ``deadlines``, ``options``, ``fire``), with ``within`` set to the
signed-in person's organisation."""

from __future__ import annotations

from collections.abc import Sequence

from admission_flow.domain.web import DeadlineBoardRow, PipelineBoard, Session, UserRecord, WorkPage
from admission_flow.services import web_pages, web_users
from admission_flow.services.deps import Deps


class WebDoors:
    _deps: Deps

    def add_user(
        self, *, login: str, display_name: str, org_id: str, roles: Sequence[str], password: str
    ) -> UserRecord:
        """A dashboard account bound to ``org_id``'s subtree and ``roles`` (only an argon2id hash is kept)."""
        return web_users.add_user(
            self._deps, login=login, display_name=display_name, org_id=org_id, roles=roles, password=password
        )

    def users(self) -> list[UserRecord]:
        return web_users.users(self._deps)

    def disable_user(self, login: str, *, disabled: bool = True) -> None:
        """Disable an account (its sessions end at once), or enable it again with ``disabled=False``."""
        web_users.set_disabled(self._deps, login, disabled)

    def reset_user_password(self, login: str, password: str | None = None) -> str:
        """A new password (random when none is given; returned): lifts a sign-in lock and ends every session."""
        return web_users.reset_password(self._deps, login, password)

    def sign_in(self, login: str, password: str) -> tuple[Session, str]:
        """A new session and the secret its cookie holds; ``Unauthenticated`` otherwise (throttled per account)."""
        return web_users.sign_in(self._deps, login, password)

    def web_session(self, secret: str) -> Session:
        return web_users.session(self._deps, secret)

    def sign_out(self, secret: str) -> None:
        web_users.sign_out(self._deps, secret)

    def my_work(self, user: UserRecord, *, page: int = 1) -> WorkPage:
        """Candidates of the user's subtree waiting on an act one of their roles may perform, most urgent first."""
        return web_pages.my_work(self._deps, user, page)

    def deadline_board(self, user: UserRecord, org_id: str | None = None) -> list[DeadlineBoardRow]:
        return web_pages.deadline_board(self._deps, user, org_id)

    def pipeline_board(self, user: UserRecord, org_id: str | None = None) -> PipelineBoard:
        return web_pages.pipeline_board(self._deps, user, org_id)
