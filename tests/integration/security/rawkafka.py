"""A minimal Kafka wire client, as an attacker would use one: no client library's manners.

It sends exactly the requests it is given (optionally after a SASL/PLAIN login) and reports
whether the broker answered or dropped the connection, so that tests can aim single requests at
the controller listener, where ordinary client libraries do not go.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from kafka.protocol.metadata.api_versions import ApiVersionsRequest, ApiVersionsResponse
from kafka.protocol.sasl import (
    SaslAuthenticateRequest,
    SaslAuthenticateResponse,
    SaslHandshakeRequest,
    SaslHandshakeResponse,
)


class Dropped(ConnectionError):
    """The broker closed the connection instead of answering."""


class RawKafka:
    """One TCP connection to ``host:port`` speaking the Kafka protocol by hand."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.correlation = 0
        self.supported: dict[int, int] = {}

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawKafka:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, request: Any, response_class: Any, version: int | None = None) -> Any:
        """Send ``request`` and return the decoded answer; :class:`Dropped` if there is none."""
        if version is None:
            version = self.version_for(request)
        self.correlation += 1
        request.API_VERSION = version
        request.with_header(correlation_id=self.correlation, client_id="attacker")
        try:
            self.sock.sendall(request.encode(version=version, header=True, framed=True))
            frame = self._read_frame()
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise Dropped(str(exc)) from exc
        return response_class.decode(frame, version=version, header=True)

    def version_for(self, request: Any) -> int:
        """The highest version of ``request`` both sides speak (asks the broker once)."""
        if not self.supported:
            answer = self.call(ApiVersionsRequest(), ApiVersionsResponse, version=0)
            self.supported = {a.api_key: a.max_version for a in answer.api_keys}
        if request.API_KEY not in self.supported:
            raise LookupError(f"the broker does not serve API {request.API_KEY} here")
        return min(self.supported[request.API_KEY], type(request).max_version)

    def login_plain(self, username: str, password: str) -> tuple[int, str | None]:
        """SASL/PLAIN; return the broker's error code (0: logged in) and message."""
        shake = self.call(SaslHandshakeRequest(mechanism="PLAIN"), SaslHandshakeResponse, 1)
        if shake.error_code:
            return shake.error_code, f"mechanisms: {shake.mechanisms}"
        token = b"\0" + username.encode() + b"\0" + password.encode()
        done = self.call(SaslAuthenticateRequest(auth_bytes=token), SaslAuthenticateResponse, 0)
        return done.error_code, done.error_message

    def _read_frame(self) -> bytes:
        (size,) = struct.unpack(">i", self._read_exactly(4))
        return self._read_exactly(size)

    def _read_exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise Dropped("the broker closed the connection")
            data += chunk
        return data
