"""The read-only BI dashboard (Streamlit): queries in `queries`, figures in `charts`, the page in `app`.

It reads only the published serving snapshot (`settings.serving_path`), never the build warehouse.
"""
