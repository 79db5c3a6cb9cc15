"""Uvicorn's HTTP protocol, answering a request it cannot parse with the error envelope.

A malformed request (an invalid Content-Length, a broken request line…) never reaches the app:
uvicorn refuses it with a text/plain 400 of its own. Only that answer changes here.

`send_400_response` is not a documented interface of uvicorn: an upgrade may rename it, and the
override would silently stop applying. tests/test_server.py checks the answer through a real
server, so such an upgrade fails the tests instead.
"""

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

INVALID_REQUEST = json.dumps(
    {
        "error": {
            "code": "bad_request",
            "message": "Invalid HTTP request",
            "details": None,
            "request_id": "",  # the request was never read far enough to get one
        }
    },
    separators=(",", ":"),
).encode()


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        head = [b"HTTP/1.1 400 Bad Request"]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/json",
            b"content-length: " + str(len(INVALID_REQUEST)).encode(),
            b"x-content-type-options: nosniff",
            b"connection: close",
        ]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + INVALID_REQUEST)
        self.transport.close()
