"""The batch pipeline's jobs, one module each: land, validate, convert, load, publish.

`dags/olist_batch.py` only wires them; each job is a plain function tested on its own.
"""
