"""Output table schemas: the columns every asset publishes, typed and described once.

The same definition conforms a frame before it is written (missing columns are an error; column
order and dtypes are fixed), feeds `dagster/column_schema` so the UI shows it, and is rendered in
the README's metric reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

FieldType = Literal["string", "int64", "float64", "bool", "date", "timestamp"]

_PANDAS = {
    "string": "string",
    "int64": "int64",
    "float64": "float64",
    "bool": "bool",
    "date": "datetime64[ns]",
    "timestamp": "datetime64[ns, UTC]",
}


@dataclass(frozen=True)
class Field:
    name: str
    dtype: FieldType
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class OutputSchema:
    asset: str
    grain: str
    fields: tuple[Field, ...]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Select and order the schema's columns and cast them; raise naming any missing column."""
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise ValueError(f"{self.asset}: output is missing column(s) {missing} (schema: {self.names})")
        out = frame[self.names].copy()
        for f in self.fields:
            target = _PANDAS[f.dtype]
            if f.dtype == "date":
                out[f.name] = pd.to_datetime(out[f.name]).dt.tz_localize(None).astype(target)
            elif f.dtype == "timestamp":
                out[f.name] = pd.to_datetime(out[f.name], utc=True).astype(target)
            elif f.dtype == "int64" and f.nullable:
                out[f.name] = out[f.name].astype("Int64")
            else:
                out[f.name] = out[f.name].astype(target)
            if not f.nullable and out[f.name].isna().any():
                raise ValueError(
                    f"{self.asset}: column {f.name!r} has {int(out[f.name].isna().sum())} null value(s) "
                    "but the schema forbids nulls"
                )
        return out.reset_index(drop=True)

    def table_schema(self):
        import dagster as dg

        return dg.TableSchema(
            columns=[
                dg.TableColumn(
                    name=f.name,
                    type=f.dtype,
                    description=f.description,
                    constraints=dg.TableColumnConstraints(nullable=f.nullable),
                )
                for f in self.fields
            ]
        )
