"""GLM3 Signal Services servers: the scoring server, the ops server, and what they share."""

from glm3.servers.storage import lazy_imports

# Before any server module imports lancedb: its unused REST namespace client is then imported only if
# something uses it (over a second of every server's cold start otherwise; servers/storage/lazy_imports.py).
lazy_imports.install()
