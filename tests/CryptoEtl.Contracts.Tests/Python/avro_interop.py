#!/usr/bin/python3
"""A third-party Avro client for CryptoEtl's topics: Debian's python3-avro, python3-requests and python3-confluent-kafka.

decode:  read a topic from the beginning, split the 5-byte Confluent header, fetch the writer schema by id from the
         registry's REST API, decode the Avro body, print one JSON object per record.
produce: register a schema under <topic>-value, encode one JSON record with it, and write it in the Confluent wire format.
"""
import argparse
import datetime
import io
import json
import struct
import sys

import avro.io
import avro.schema
import requests
from confluent_kafka import Consumer, Producer

HEADERS = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def decode(args):
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "python-avro-interop",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([args.topic])
    schemas = {}
    seen = 0
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=args.timeout)
    while seen < args.count and datetime.datetime.now() < deadline:
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        value = message.value()
        magic, schema_id = struct.unpack(">bI", value[:5])
        if magic != 0:
            raise SystemExit(f"not the Confluent wire format: magic byte {magic}")
        if schema_id not in schemas:
            response = requests.get(f"{args.registry}/schemas/ids/{schema_id}", timeout=10)
            response.raise_for_status()
            schemas[schema_id] = avro.schema.parse(response.json()["schema"])
        record = avro.io.DatumReader(schemas[schema_id]).read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))
        print(json.dumps({"key": message.key().decode(), "schema_id": schema_id, "value": record}, default=str), flush=True)
        seen += 1
    consumer.close()
    if seen < args.count:
        raise SystemExit(f"read {seen} of {args.count} records")


def produce(args):
    with open(args.schema_file, encoding="utf-8") as f:
        schema_text = f.read()
    response = requests.post(f"{args.registry}/subjects/{args.topic}-value/versions",
                             data=json.dumps({"schema": schema_text}), headers=HEADERS, timeout=10)
    response.raise_for_status()
    schema_id = response.json()["id"]
    schema = avro.schema.parse(schema_text)
    record = json.loads(args.record)
    for field in schema.fields:  # timestamp-millis fields arrive as epoch milliseconds in the JSON
        logical = getattr(field.type, "logical_type", None) or getattr(getattr(field.type, "props", {}), "get", lambda _: None)("logicalType")
        if logical == "timestamp-millis" and isinstance(record.get(field.name), int):
            record[field.name] = datetime.datetime.fromtimestamp(record[field.name] / 1000, tz=datetime.timezone.utc)
    body = io.BytesIO()
    avro.io.DatumWriter(schema).write(record, avro.io.BinaryEncoder(body))
    producer = Producer({"bootstrap.servers": args.bootstrap})
    producer.produce(args.topic, key=args.key.encode(), value=struct.pack(">bI", 0, schema_id) + body.getvalue())
    if producer.flush(20) != 0:
        raise SystemExit("the record was not delivered")
    print(json.dumps({"schema_id": schema_id}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["decode", "produce"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--schema-file")
    parser.add_argument("--record")
    parser.add_argument("--key", default="k")
    args = parser.parse_args()
    decode(args) if args.mode == "decode" else produce(args)


if __name__ == "__main__":
    sys.exit(main())
