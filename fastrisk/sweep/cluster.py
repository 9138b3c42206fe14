"""Sweeps on a Dask cluster: the scheduler address checked in one line, a client that never hangs, and
:class:`DaskExecutor`, the executor of :mod:`fastrisk.sweep.executors`' contract on a
``distributed.Client`` (``client.submit`` per batch, collected with ``distributed.as_completed``; a
cluster needs no shared file system: the process that called :func:`fastrisk.sweep.run` writes every
table). ``distributed`` is imported only when one of these is used (the ``[dask]`` extra).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .executors import Result, compute_unit, first_unit

__all__ = ["check_address", "connect", "DaskExecutor"]


def check_address(address) -> str:
    """``address`` if it reads as a Dask scheduler address (``tcp://HOST:PORT``, ``tls://...``, ...);
    ValueError in one line otherwise (distributed raises from deep inside its parser).

    Parameters
    ----------
    address : str
        The address to check.

    Returns
    -------
    str
        ``address``, unchanged.

    Examples
    --------
    >>> import fastrisk.sweep as sw
    >>> sw.check_address("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    >>> sw.check_address("notanaddress")
    Traceback (most recent call last):
    ...
    ValueError: ...
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    example = "expected e.g. tcp://10.0.0.1:8786"
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"the Dask scheduler address is empty ({example})")
    try:
        scheme, loc = parse_address(address, strict=False)
        if scheme in ("tcp", "tls", "ws", "wss", "ucx"):
            port = loc.rpartition(":")[2] if ":" in loc and not loc.endswith("]") else ""
            if port and not port.isdigit():
                raise ValueError(f"the port {port!r} is not a number")
            parse_host_port(loc)
        elif scheme != "inproc":
            raise ValueError(f"unknown address scheme {scheme!r}")
        elif not loc:
            raise ValueError("an inproc address names a process")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{address!r} is not a Dask scheduler address ({exc}; {example})") from None
    return address


def connect(address: str, timeout: float = 20.0):
    """A ``distributed.Client`` on the scheduler at ``address``; ValueError for an address that cannot be
    one, ConnectionError within ``timeout`` s if it cannot be reached (never a hang).

    Parameters
    ----------
    address : str
        The scheduler's address, ``tcp://HOST:PORT`` (or another protocol distributed accepts).
    timeout : float, default 20.0
        Seconds to wait for the scheduler.

    Returns
    -------
    distributed.Client
        A client to pass to :func:`fastrisk.sweep.run` (``client=``).

    Examples
    --------
    >>> from distributed import LocalCluster
    >>> import fastrisk.sweep as sw
    >>> cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
    >>> client = sw.connect(cluster.scheduler_address, timeout=10)
    >>> len(client.scheduler_info()["workers"])
    1
    >>> client.close(); cluster.close()
    """
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask extra not installed
        raise ImportError("a Dask scheduler needs the dask extra: pip install 'fastrisk[dask]'") from None
    check_address(address)
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s: "
                              f"{type(exc).__name__}: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{address!r} is not a Dask scheduler address ({exc})") from None


class DaskExecutor:
    """Submit units to a ``distributed.Client`` and collect results as they complete.

    At most ``window`` batches are in flight (default: 4 per worker thread of the cluster, at least 64),
    so a sweep of 10^5 tasks never parks 10^5 argument sets on the scheduler; a new one is submitted as
    each result arrives.
    """

    name = "dask"

    def __init__(self, client, window: int | None = None):
        self.client = client
        try:
            info = client.scheduler_info().get("workers", {})
            self.workers = len(info)
            slots = sum(int(w.get("nthreads", 1)) for w in info.values())
        except Exception:  # noqa: BLE001 - only informative
            self.workers, slots = 0, 0
        self.window = window if window is not None else max(64, 4 * slots)

    def _submit(self, b: dict):
        key = f"fastrisk-sweep-{b['kind']}-{first_unit(b)}-{b['_hash'][:16]}"
        return self.client.submit(compute_unit, b, key=key, pure=False)

    def execute(self, batches: Iterable[dict]) -> Iterator[Result]:
        from distributed import as_completed

        it = iter(batches)
        futures = {}
        for u in it:
            futures[self._submit(u)] = u
            if len(futures) >= self.window:
                break
        if not futures:
            return
        ac = as_completed(list(futures), with_results=True)
        try:
            for f, result in ac:
                b = futures.pop(f)
                f.release()
                nxt = next(it, None)
                if nxt is not None:
                    g = self._submit(nxt)
                    futures[g] = nxt
                    ac.add(g)
                yield (b, *result)
        finally:
            for f in futures:
                f.cancel()

    def close(self) -> None:
        pass
