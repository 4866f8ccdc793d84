"""Engines: how the same stage functions (vesseltrack.stages) are scheduled.

- ``local`` (the default): every stage over the whole table, in this process (pipeline.analyse).
- ``dask``: the vessel-local stages once per partition of the vessels (vessel buckets,
  store.bucket_of), the fleet-wide aggregates combined from partial ones, on a Dask cluster
  (:mod:`vesseltrack.engines.dask_engine`; needs the ``dask`` extra). Same results.
"""

ENGINES = ("local", "dask")
