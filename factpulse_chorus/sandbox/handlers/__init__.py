"""The sandbox's endpoint handlers, one module per API group, one function per route.

Each handler is ``(context, login, body) -> dict``: the body is the request JSON with
``credentials`` already stripped, the result is the HTTP 200 body, business errors included
(a non-zero ``codeRetour`` / ``returnCode``). The HTTP layer authenticates and validates;
nothing here knows HTTP.
"""
