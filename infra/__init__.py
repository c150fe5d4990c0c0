"""The AWS CDK app of Kommunal PRO: `app.py` builds one environment's stack (see cdk.json)."""
