"""A replica of real government portals, served on 127.0.0.1, so the crawler can be
tested end to end without the internet: a folder laid out as ``ROOT/<host>/<path>``
answers ``http://127.0.0.1:PORT/<host>/<path>``, with failure/delay rules from
``ROOT/_replica.toml`` and the crawl's right answer in ``ROOT/expected.json``.

server.py  the HTTP server (`ReplicaServer`): static files, rules, ETag/304, request log
build.py   the builder that writes the bundled replica tree (`build_replica(out)`)
"""
