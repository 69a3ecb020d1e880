"""All of diplowatch's HTTP, Prefect-free: the flows wrap these coroutines in their tasks.

`http.py` is the shared client (retries, conditional requests, one result per URL);
`netguard.py` keeps it to public addresses, checked after resolution; `bodies.py` reads bodies
under the size cap; `limits.py` holds the politeness and budgets per host; `routing.py` sends
chosen hosts (the demo's fake one) to other addresses.
"""
