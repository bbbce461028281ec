"""Running the web front: the address, the token, uvicorn, and opening a browser.

:class:`Server` decides what the user is told before anything listens (the
address, the token for a non-loopback host, a warning), then runs uvicorn in
this process until Ctrl-C.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

from archive import ArchiveError
from web.security import LOOPBACK_NAMES, Guard, is_loopback, new_token


class ServeError(ArchiveError):
    """The server cannot start."""


@dataclass
class Server:
    """One run of ``archive serve``.

    :param home: the archive home.
    :param host: the address to listen on (127.0.0.1: this machine only).
    :param port: the port (0: any free one).
    :param token: the access token; for a non-loopback host one is generated if not given.
    :param read_only: serve search and reading only.
    """

    home: Path
    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    read_only: bool = False
    #: What to tell the user before serving (warnings first), a line each.
    lines: list[str] = field(default_factory=list)
    sock: socket.socket | None = None

    def prepare(self) -> None:
        """Check the home, bind the socket, decide the token; fill :attr:`lines`.

        :raises ServeError: the home is not an archive, or the address cannot be used.
        """
        from archive.home import Home

        home = Home(self.home)
        if not home.db.exists() and home.url is None:
            raise ServeError(
                f"no archive at {self.home} (ingest something first: 'archive ingest FILE')"
            )
        exposed = not is_loopback(self.host)
        if exposed and self.token is None:
            self.token = new_token()
        if self.token is not None and len(self.token) < 16:
            raise ServeError("the token is too short: give at least 16 characters (or none)")
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            # IPPROTO_TCP named: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
            # sockets that say they are TCP, and a kept-alive connection's answers would
            # otherwise wait for the client's delayed ACK (40 ms each on Linux).
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host.strip("[]"), self.port))
            sock.listen(2048)  # connections wait from now on, not refused until uvicorn runs
        except OSError as exc:
            raise ServeError(f"cannot listen on {self.host}:{self.port} ({exc.strerror})") from None
        self.sock = sock
        self.port = sock.getsockname()[1]
        if exposed:
            self.lines.append(
                f"warning: listening on {self.host}, beyond this machine: anyone who can reach "
                "it and has the token can read the archive"
                + ("" if self.read_only else " and change it (--read-only serves reading only)")
            )
            self.lines.append(f"token: {self.token}")
        self.lines.append(f"serving {self.home} at {self.address}")
        if self.read_only:
            self.lines.append("read-only: search and reading only")
        self.lines.append("press Ctrl-C to stop")

    @property
    def address(self) -> str:
        """The address to open (with the token, which the page then keeps in a cookie)."""
        shown = self.host if ":" not in self.host else f"[{self.host.strip('[]')}]"
        if shown in ("0.0.0.0", "::", "[::]"):
            shown = socket.gethostname()
        url = f"http://{shown}:{self.port}/"
        return url + (f"?token={self.token}" if self.token else "")

    def guard(self) -> Guard:
        hosts = {*LOOPBACK_NAMES, self.host, f"{self.host}:{self.port}"}
        if self.host in ("0.0.0.0", "::", "[::]"):
            hosts |= {socket.gethostname(), socket.getfqdn(), "*"}
        for name in LOOPBACK_NAMES:
            hosts.add(f"{name}:{self.port}")
        return Guard(token=self.token, read_only=self.read_only, hosts=tuple(sorted(hosts)))

    def run(self) -> None:
        """Serve until Ctrl-C (the socket from :meth:`prepare`)."""
        import uvicorn

        from web.app import create_app

        assert self.sock is not None, "prepare() first"
        app = create_app(self.home, guard=self.guard())
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, server_header=False, lifespan="off"
        )
        uvicorn.Server(config).run(sockets=[self.sock])
