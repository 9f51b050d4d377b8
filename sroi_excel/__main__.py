"""``python -m sroi_excel``: the same command as ``sroi-excel``."""

from sroi_excel.cli import main

if __name__ == "__main__":  # not when the batch pool's workers import it
    main(prog_name="sroi-excel")
