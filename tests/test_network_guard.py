"""The suite never leaves loopback: pytest-socket refuses every other address."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket.connect")
def test_connection_outside_the_allowed_hosts_is_refused() -> None:
    # 0.0.0.0 is not on the allow list; were the guard missing, this would stay on this
    # machine and fail differently (connection refused), so the test cannot leak traffic.
    unlisted = ("0.0.0.0", 9)  # noqa: S104 - a destination that never leaves the machine
    with pytest.raises(SocketConnectBlockedError), socket.create_connection(unlisted):
        pass  # pragma: no cover
