"""The file source of the organisation sync: three CSV files in a folder (locally) or under an S3 prefix (AWS).

The CSV parsing is the same for both; only where the text comes from differs (`FileStore`).
"""

from __future__ import annotations

import csv
import io
import posixpath
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import ClientError
from pydantic import ValidationError

from kommunal_pro.orgsync.source import (
    MissingSourceFile,
    OrgUnit,
    Position,
    RecordT,
    Rejected,
    Rows,
    SorUnit,
    normalise_id,
)

FILE_NAMES: dict[type, str] = {
    SorUnit: "sor-units.csv",
    OrgUnit: "fk-org-units.csv",
    Position: "fk-positions.csv",
}


class FileStore(Protocol):
    location: str

    def read_text(self, name: str) -> str:
        """The file's text; MissingSourceFile if there is none."""
        ...


class FolderStore:
    def __init__(self, folder: Path | str) -> None:
        self._folder = Path(folder)
        self.location = str(self._folder)

    def read_text(self, name: str) -> str:
        path = self._folder / name
        if not path.is_file():
            raise MissingSourceFile(f"{path} is missing")
        return path.read_text(encoding="utf-8-sig")


class S3Store:
    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        self._bucket, self._prefix = bucket, prefix.strip("/")
        self._client = client or boto3.client("s3")
        self.location = f"s3://{bucket}/{self._prefix}"

    def read_text(self, name: str) -> str:
        key = posixpath.join(self._prefix, name)
        try:
            body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchKey":
                raise MissingSourceFile(f"s3://{self._bucket}/{key} is missing") from None
            raise
        return body.decode("utf-8-sig")


class CsvSource:
    """The organisation source read from CSV files (UTF-8, comma-separated, a header row naming the columns)."""

    def __init__(self, store: FileStore) -> None:
        self._store = store
        self.location = store.location

    def read_sor_units(self) -> Rows[SorUnit]:
        return self._read(SorUnit)

    def read_org_units(self) -> Rows[OrgUnit]:
        return self._read(OrgUnit)

    def read_positions(self) -> Rows[Position]:
        return self._read(Position)

    def _read(self, model: type[RecordT]) -> Rows[RecordT]:
        rows: Rows[RecordT] = Rows(FILE_NAMES[model])
        reader = csv.DictReader(io.StringIO(self._store.read_text(rows.file)))
        for row in reader:
            line = reader.line_num
            values = {name.strip(): (value or "").strip() or None for name, value in row.items() if name is not None}
            ref = normalise_id(values.get(model.ref_field))
            if None in row:
                rows.rejected.append(Rejected(line, "more fields than the header", ref))
                continue
            try:
                rows.records.append((line, model.model_validate(values)))
            except ValidationError as error:
                rows.rejected.append(Rejected(line, _reason(error), ref))
        return rows


def _reason(error: ValidationError) -> str:
    """A short reason that counts well across rows: "missing name", "invalid uuid"."""
    first = error.errors()[0]
    column = ".".join(str(part) for part in first["loc"])
    return f"missing {column}" if first["type"] == "missing" or first["input"] is None else f"invalid {column}"
