"""The response layer: what a call hands back, built over the server's JSON.

``fields`` (the base and its declared fields), ``models`` (inference, models, endpoints,
tasks, eval sets), ``rankings`` (leaderboards and eval runs, their Pareto fronts and
winners), ``pareto`` (the front itself), ``frames`` (DataFrames and notebook tables),
``metric_report``, ``accumulate`` (a streamed completion put together), ``envelopes``
(list and record answers unwrapped) and ``raw`` (the HTTP answer behind a call). Pure code:
nothing here waits on I/O, and nothing imports the clients.
"""
