"""my-service: the smallest useful service, a health answer and a greeting.

Standard library only, so the tests run anywhere python3 does.
"""

VERSION = "0.1.0"


def health():
    """What GET /healthz answers."""
    return {"status": "ok", "version": VERSION}


def greet(name):
    """What GET /hello?name=NAME answers; an empty name is a caller error."""
    name = (name or "").strip()
    if not name:
        raise ValueError("name must not be empty")
    return {"message": "hello, %s" % name}
