import pytest

from kommunal_pro.storage.schema import (
    GSI1,
    INDEXES,
    PK,
    SK,
    TTL_ATTRIBUTE,
    create_table_request,
    key,
    without_keys,
)


def test_keys_always_start_with_the_tenant() -> None:
    assert key("0751", "MUNICIPALITY") == "0751#MUNICIPALITY"
    assert key("national", "QUESTIONNAIRE", "who5") == "national#QUESTIONNAIRE#who5"
    with pytest.raises(ValueError):
        key("", "MUNICIPALITY")


def test_the_create_table_request_has_every_index_of_the_schema() -> None:
    request = create_table_request("t")
    assert request["KeySchema"] == [{"AttributeName": PK, "KeyType": "HASH"}, {"AttributeName": SK, "KeyType": "RANGE"}]
    assert [i["IndexName"] for i in request["GlobalSecondaryIndexes"]] == [i.name for i in INDEXES]
    defined = {a["AttributeName"] for a in request["AttributeDefinitions"]}
    assert {GSI1.partition_key, GSI1.sort_key, PK, SK} <= defined


def test_without_keys_keeps_only_the_record() -> None:
    item = {PK: "a", SK: "b", GSI1.partition_key: "c", GSI1.sort_key: "d", TTL_ATTRIBUTE: 1, "name": "Aarhus"}
    assert without_keys(item) == {"name": "Aarhus"}
