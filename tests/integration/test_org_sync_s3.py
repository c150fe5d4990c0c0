"""The S3 file store and the scheduled Lambda function, against moto S3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from functions.orgsync.handler import lambda_handler
from kommunal_pro.config import get_settings
from kommunal_pro.orgsync.files import FILE_NAMES, CsvSource, S3Store
from kommunal_pro.orgsync.source import MissingSourceFile
from local.apigateway import LocalLambdaContext
from local.orgsync import DEMO_FOLDER

BUCKET = "kommunal-pro-test-org-sync"
PREFIX = "fk-org/aarhus"


@pytest.fixture
def s3(table: Any) -> Any:
    """A private bucket holding the demo files under PREFIX (the table fixture keeps moto running)."""
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    for name in FILE_NAMES.values():
        client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}", Body=(DEMO_FOLDER / name).read_bytes())
    return client


@pytest.fixture
def sync_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ORG_SYNC_BUCKET", BUCKET)
    monkeypatch.setenv("ORG_SYNC_PREFIX", f"{PREFIX}/")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_s3_store_reads_files_under_the_prefix(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/bom.csv", Body="\ufeffsor_code\n".encode())
    store = S3Store(BUCKET, f"/{PREFIX}/", client=s3)

    assert store.location == f"s3://{BUCKET}/{PREFIX}"
    assert store.read_text("bom.csv") == "sor_code\n"
    assert store.read_text("fk-org-units.csv") == (DEMO_FOLDER / "fk-org-units.csv").read_text(encoding="utf-8")
    with pytest.raises(MissingSourceFile, match=r"fk-org-units-2\.csv is missing"):
        store.read_text("fk-org-units-2.csv")


def test_a_source_over_s3_reads_what_a_folder_does(s3: Any) -> None:
    rows = CsvSource(S3Store(BUCKET, PREFIX)).read_org_units()

    assert rows.file == "fk-org-units.csv" and rows.rejected == []
    assert [unit.name for _, unit in rows.records][:2] == ["Aarhus Kommune", "Sundhed og Omsorg"]


def test_the_scheduled_function_syncs_the_bucket(s3: Any, sync_settings: None) -> None:
    context = LocalLambdaContext(function_name="orgsync")

    first = lambda_handler({"now": "2026-03-02T08:00:00+01:00"}, context)
    again = lambda_handler({}, context)

    assert first["source"] == f"s3://{BUCKET}/{PREFIX}" and first["asOf"] == "2026-03-02"
    assert (first["units"]["created"], first["memberships"]["created"]) == (6, 4)
    assert again["units"]["unchanged"] == 6 and not again["aborted"]


def test_the_function_reports_a_missing_file_as_an_aborted_run(
    s3: Any, sync_settings: None, capsys: pytest.CaptureFixture[str]
) -> None:
    s3.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/fk-positions.csv")

    report = lambda_handler({"now": "2026-03-02T08:00:00+01:00"}, LocalLambdaContext(function_name="orgsync"))

    assert report["aborted"] and report["abortReason"].endswith("fk-positions.csv is missing")
    assert '"OrgSyncAborted":[1' in capsys.readouterr().out.replace(" ", "")  # the metric the alarm watches


def test_a_now_without_an_offset_is_refused_not_guessed(s3: Any, sync_settings: None) -> None:
    with pytest.raises(ValueError, match=r"'2026-03-02T08:00:00' is not an ISO 8601 time with an offset"):
        lambda_handler({"now": "2026-03-02T08:00:00"}, LocalLambdaContext(function_name="orgsync"))


def test_without_a_bucket_the_function_refuses_to_run(table: Any) -> None:
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match="ORG_SYNC_BUCKET"):
        lambda_handler({}, LocalLambdaContext(function_name="orgsync"))
