"""The base URL of an in-process ``TestClient``: the guard serves loopback Host names only ("testserver" is not one)."""

LOCAL = "http://127.0.0.1"
