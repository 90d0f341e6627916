"""Run the documentation's own examples against a local Pareta server.

    python -m tools.spec_examples PATH/pareta-sdk-docs.md            # every python block
    python -m tools.spec_examples PATH/pareta-sdk-docs.md --http     # the HTTP API page
    python -m tools.spec_examples PATH -k evaluation --json report.json

The documentation stays outside the repository: give its path as the argument or as
``$PARETA_SPEC_PATH``. Every ```python block is extracted with its page marker and line
(``extract``), classified (``plan``), and, when runnable, executed as written in a
forked child of a pre-warmed worker process (``run``, ``worker``, ``child``) against one
local server, with PARETA_API_KEY / PARETA_BASE_URL set, its own org and a temporary
working directory.

"As written" allows exactly these changes, each listed per block in the report:

- a prelude, for fragments that use names an earlier block of the same page defines
  (``prelude``): the binding statement is taken from that earlier block, or, for a few
  names, from a fixed table;
- documented placeholders (``rewrite``): ``...`` rows, ``[...]`` lists, ``pareta_sk_...``
  keys, the production and staging base URLs, and example ids, replaced by realistic
  rows, the local key and URL, and the ids of objects created for the block
  (``fixtures``);
- the files a block reads (``invoices/*.pdf``, ``scan.tiff``, ...), created as small
  fake documents in its working directory.

``--http`` runs the HTTP API page's Python and ``curl`` examples instead, each against
a fresh server with nothing changed but the base URL (``http_api``).

The exit code is 0 only when every runnable block passed, apart from the blocks the
documentation itself gets wrong, which must fail the way ``expected`` records.
"""
