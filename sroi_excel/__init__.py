"""sroi-excel: Social Return on Investment analyses in Excel, computed by a tested engine.

The pipeline runs one way:

    reader   (workbook -> Model)           sroi_excel.reader.read
    engine   (Model -> Results)            sroi_excel.engine.compute
    render   (Results -> result sheets)    sroi_excel.render.render_results
    packager (result sheets -> workbook)   sroi_excel.packager.merge_result_sheets

``sroi_excel.api`` strings them together (``fill``, ``check``, ``new``). Names are imported
lazily so that ``sroi-excel --help`` does not pay for pandas.
"""

__version__ = "0.1.0"

_LAZY = {
    "fill": "api", "check": "api", "new": "api", "FillReport": "api", "fill_many": "batch",
    "compute": "engine", "Results": "engine",
    "read": "reader", "read_workbook": "reader",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'sroi_excel' has no attribute {name!r}")
