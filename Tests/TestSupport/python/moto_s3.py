"""moto's S3 on 127.0.0.1 with SigV4 signature checks on, for dibkit's tests.

moto checks signatures only for keys made through its IAM, and only after the first
INITIAL_NO_AUTH_ACTION_COUNT requests: this script makes the user, its policy, its key and the
buckets in exactly those requests, then prints one JSON line
{"port": N, "access_key_id": "...", "secret_access_key": "..."} and serves until its standard
input closes (the test that started it ended) or it gets SIGTERM.

With --no-signature-checks, moto takes any credentials: its check rejects the signature of minio-go's
ListObjectsV2 (restic's S3 client) though AWS accepts it, so the backup tests, which test restic against S3
and not the signing, run without it.

Usage: moto_s3.py --region nyc3 --bucket NAME [--bucket NAME...] [--no-signature-checks]
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--region", required=True)
parser.add_argument("--bucket", action="append", default=[])
parser.add_argument("--no-signature-checks", action="store_true")
args = parser.parse_args()

# create_user, put_user_policy, create_access_key, then one create_bucket per bucket.
unchecked = 10**9 if args.no_signature_checks else 3 + len(args.bucket)
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(unchecked)
os.environ.setdefault("AWS_DEFAULT_REGION", args.region)
logging.getLogger("werkzeug").setLevel(logging.ERROR)

import boto3  # noqa: E402  (after the environment moto reads at import)
from moto.server import ThreadedMotoServer  # noqa: E402

server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
server.start()
host, port = server.get_host_and_port()
endpoint = f"http://{host}:{port}"
setup = dict(endpoint_url=endpoint, region_name=args.region, aws_access_key_id="setup", aws_secret_access_key="setup")

iam = boto3.client("iam", **setup)
iam.create_user(UserName="dibkit-test")
policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
iam.put_user_policy(UserName="dibkit-test", PolicyName="everything", PolicyDocument=json.dumps(policy))
key = iam.create_access_key(UserName="dibkit-test")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=args.region,
                  aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
for bucket in args.bucket:
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": args.region})

print(json.dumps({"port": port, "access_key_id": key["AccessKeyId"],
                  "secret_access_key": key["SecretAccessKey"]}), flush=True)

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
stop.wait()
server.stop()
